"""A poll's tally: counts per option, percentages of respondents, text bars, the results text.

Percentages are of the people who answered, so for a multiple-choice poll they may add up to
more than 100. Residents see results after closing, or while open if the poll says so; staff
always (the live tally).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.i18n import Raw, Texts
from services.polls.access import Staff, require_moderator
from services.polls.manage import get_poll, options_of
from services.polls.models import Poll, PollAnswer, PollChoice, PollStatus
from services.polls.rules import PollRules
from services.timeutil import as_utc, format_datetime

FULL, EMPTY = "▓", "░"
BAR_WIDTH = 10


@dataclass(frozen=True, slots=True)
class ResultLine:
    option_id: int
    text: str
    count: int
    percent: int  # whole percent of respondents, rounded half up


@dataclass(frozen=True, slots=True)
class Results:
    poll_id: int
    question: str
    multiple: bool
    respondents: int
    lines: tuple[ResultLine, ...]
    closed: bool
    closes_at: datetime

    @property
    def leaders(self) -> tuple[int, ...]:
        """Option ids with the most answers (none when nobody answered)."""
        top = max((line.count for line in self.lines), default=0)
        return tuple(line.option_id for line in self.lines if top and line.count == top)


def percent_of(count: int, total: int) -> int:
    return (200 * count + total) // (2 * total) if total else 0


def bar(percent: int, width: int = BAR_WIDTH) -> str:
    """`▓▓▓▓░░░░░░` for 40%: a non-zero share shows at least one cell."""
    cells = round(percent * width / 100)
    if percent and not cells:
        cells = 1
    cells = min(cells, width)
    return FULL * cells + EMPTY * (width - cells)


def is_closed(poll: Poll, now: datetime) -> bool:
    return poll.status == PollStatus.CLOSED or (
        poll.status == PollStatus.PUBLISHED and as_utc(poll.closes_at) <= now
    )


def visible_to_residents(poll: Poll, now: datetime) -> bool:
    return is_closed(poll, now) or (poll.status == PollStatus.PUBLISHED
                                    and poll.results_while_open)


async def tally(session: AsyncSession, poll: Poll, *, now: datetime) -> Results:
    counts = dict(
        (await session.execute(
            select(PollChoice.option_id, func.count(PollChoice.id))
            .where(PollChoice.poll_id == poll.id).group_by(PollChoice.option_id)
        )).tuples().all()
    )
    respondents = int(await session.scalar(
        select(func.count(PollAnswer.id)).where(PollAnswer.poll_id == poll.id)
    ) or 0)
    lines = tuple(
        ResultLine(o.id, o.text, int(counts.get(o.id, 0)),
                   percent_of(int(counts.get(o.id, 0)), respondents))
        for o in await options_of(session, poll.id)
    )
    return Results(poll.id, poll.question, poll.multiple, respondents, lines,
                   is_closed(poll, now), as_utc(poll.closed_at or poll.closes_at))


async def live_tally(session: AsyncSession, staff: Staff, poll_id: int, *,
                     now: datetime) -> Results:
    """The running count, for moderators only (residents wait for the closing, usually)."""
    await require_moderator(session, staff)
    return await tally(session, await get_poll(session, poll_id), now=now)


def results_lines(tr: Texts, results: Results, rules: PollRules = PollRules()) -> str:
    """One block per option: its text, then the bar with count and percent."""
    if not results.respondents:
        return tr("polls.results.nobody")
    blocks = []
    for line in results.lines:
        mark = "🏆 " if results.closed and line.option_id in results.leaders else ""
        blocks.append(tr("polls.results.line", mark=Raw(mark), option=line.text,
                         bar=bar(line.percent, rules.bar_width), count=line.count,
                         percent=line.percent))
    return "\n".join(blocks)


def results_text(tr: Texts, results: Results, rules: PollRules = PollRules()) -> str:
    """The whole results message: question, respondents, lines, and a note if running."""
    head = tr("polls.results.final" if results.closed else "polls.results.running",
              question=results.question, when=format_datetime(results.closes_at))
    parts = [head, tr.plural("polls.results.respondents", results.respondents),
             results_lines(tr, results, rules)]
    if results.multiple and results.respondents:
        parts.append(tr("polls.results.multiple_note"))
    return "\n\n".join(parts)


def chart_texts(tr: Texts, results: Results) -> tuple[str, list[str], str]:
    """Title, option labels and footer of the chart, in one language."""
    footer = tr("polls.chart.footer", respondents=Raw(
        tr.plural("polls.results.respondents", results.respondents)),
        when=format_datetime(results.closes_at))
    return results.question, [line.text for line in results.lines], footer
