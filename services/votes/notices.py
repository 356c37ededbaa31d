"""What residents are told once staff publish a session: a summary (each decision with its
result) to the subscribers of "council votes", to each follower how the deputies they
follow voted, and to the signers of a petition linked to a decision how the council voted.

Queued through the outbox in the publishing transaction, so a publish and its notices commit
together or not at all; the dedupe keys (`votes:<session>:summary`, `votes:<session>:follow`,
`votes:<event>:petition:<petition>`) make a repeated call queue nothing twice. Publishing
itself is a compare-and-set (`publishing.publish_session`), so only one staff member's press
ever gets here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.i18n import Raw, Texts, echo
from services.models.broadcasts import Topic
from services.subscriptions import subscriber_ids
from services.timeutil import format_date
from services.votes.models import DecisionResult, VoteCast, VoteEvent, VoteValue
from services.votes.petition_links import session_links, tell_signers
from services.votes.publishing import Announcement
from services.votes.tallies import ORDER
from services.votes.views import DecisionLine, DeputyRef

# Telegram allows 4,096 characters; the lists stop well before, ending in "and N more".
TEXT_BUDGET = 3500
TITLE_MAX = 120
FOLLOW_LINES = 12  # decisions listed per followed deputy
Buttons = Callable[[Texts], list[list[dict[str, Any]]]]

RESULT_MARK = {DecisionResult.ADOPTED: "✅", DecisionResult.NOT_ADOPTED: "❌"}
VALUE_MARK = {VoteValue.FOR: "👍", VoteValue.AGAINST: "👎", VoteValue.ABSTAIN: "✋",
              VoteValue.NOT_VOTING: "⏸", VoteValue.ABSENT: "⚪"}


@dataclass(frozen=True, slots=True)
class Announced:
    """How many messages were queued now (0 when they had been queued before)."""

    summaries: int
    follower_notes: int
    petition_notes: int = 0


def result_text(tr: Texts, result: DecisionResult | None) -> str:
    return tr(f"votes.result.{result.value}" if result else "votes.result.unknown")


def dates_text(date_from: Any, date_until: Any) -> str:
    if date_from == date_until:
        return format_date(date_from)
    return f"{format_date(date_from)}–{format_date(date_until)}"


def _fit(lines: Sequence[str], tr: Texts, budget: int) -> list[str]:
    """As many lines as fit the budget, then one line saying how many more there are."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            kept.append(tr("votes.notify.more", count=len(lines) - i))
            break
        kept.append(line)
        used += len(line) + 1
    return kept


def _decision_line(tr: Texts, d: DecisionLine) -> str:
    return tr("votes.notify.line", mark=RESULT_MARK.get(d.result, "➖") if d.result else "➖",
              title=echo(d.title, TITLE_MAX), result=result_text(tr, d.result))


def summary_text(announcement: Announcement) -> Callable[[Texts], str]:
    s = announcement.session

    def render(tr: Texts) -> str:
        head = tr("votes.notify.summary", session=s.label,
                  dates=dates_text(s.date_from, s.date_until), votes=s.votes,
                  adopted=s.adopted)
        lines = [_decision_line(tr, d) for d in announcement.decisions]
        return "\n".join([head, "", *_fit(lines, tr, TEXT_BUDGET - len(head))])

    return render


VotesOf = dict[int, list[tuple[int, VoteValue]]]


async def votes_of(db: AsyncSession, session_id: int, deputy_ids: Iterable[int]) -> VotesOf:
    """Each deputy's votes in the session, in the order the votes were taken."""
    ids = sorted(set(deputy_ids))
    found: VotesOf = {i: [] for i in ids}
    if not ids:
        return found
    rows = await db.execute(
        select(VoteCast.deputy_id, VoteCast.event_id, VoteCast.value)
        .join(VoteEvent, VoteEvent.id == VoteCast.event_id)
        .where(VoteEvent.session_id == session_id, VoteCast.deputy_id.in_(ids))
        .order_by(VoteEvent.held_on, VoteEvent.sequence, VoteEvent.id))
    for deputy_id, event_id, value in rows:
        found[deputy_id].append((event_id, VoteValue(value)))
    return found


def follower_text(announcement: Announcement, deputies: Sequence[DeputyRef],
                  votes: VotesOf) -> Callable[[Texts], str]:
    s = announcement.session
    titles = {d.id: d.title for d in announcement.decisions}

    def render(tr: Texts) -> str:
        parts = [tr("votes.notify.follow_head", session=s.label,
                    dates=dates_text(s.date_from, s.date_until))]
        budget = (TEXT_BUDGET - len(parts[0])) // max(1, len(deputies))
        for deputy in deputies:
            mine = votes.get(deputy.id, [])
            counted = Counter(value for _, value in mine)
            tally = " · ".join(f"{tr(f'votes.value.{v.value}')} {counted[v]}" for v in ORDER
                               if counted[v])
            head = tr("votes.notify.follow_deputy", name=deputy.name,
                      tally=Raw(tally or tr("votes.notify.follow_none")))
            lines = [tr("votes.notify.follow_line", mark=VALUE_MARK[value],
                        value=tr(f"votes.value.{value.value}"),
                        title=echo(titles.get(event_id, ""), TITLE_MAX))
                     for event_id, value in mine[:FOLLOW_LINES]]
            if len(mine) > FOLLOW_LINES:
                lines.append(tr("votes.notify.more", count=len(mine) - FOLLOW_LINES))
            parts += ["", head, *_fit(lines, tr, budget - len(head))]
        return "\n".join(parts)

    return render


async def announce(db: AsyncSession, announcement: Announcement, *,
                   buttons: Buttons | None = None, now: datetime | None = None) -> Announced:
    """Queue the summary and the follower notes of a session just published."""
    session_id = announcement.session.id
    subscribers = await subscriber_ids(db, Topic.COUNCIL_VOTES)
    summaries = await outbox.notify_residents(
        db, subscribers, summary_text(announcement), dedupe=f"votes:{session_id}:summary",
        buttons=buttons, now=now)
    followed = {d.id for f in announcement.followers for d in f.deputies}
    votes = await votes_of(db, session_id, followed)
    # Followers of the same deputies get the same text: render it once per language.
    groups: dict[tuple[int, ...], tuple[tuple[DeputyRef, ...], list[int]]] = {}
    for notice in announcement.followers:
        key = tuple(d.id for d in notice.deputies)
        groups.setdefault(key, (notice.deputies, []))[1].append(notice.resident_id)
    notes = 0
    for deputies, residents in groups.values():
        notes += await outbox.notify_residents(
            db, residents, follower_text(announcement, deputies, votes),
            dedupe=f"votes:{session_id}:follow", buttons=buttons, now=now)
    signers = await tell_signers(db, await session_links(db, session_id), buttons=buttons,
                                 now=now)
    return Announced(summaries, notes, signers)
