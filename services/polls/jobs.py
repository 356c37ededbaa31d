"""The scheduler's side of polls: announce an opening, close at the closing time, send results.

Each is a plain `async (session, now) -> None` run on every tick, in every process; `JOBS`
lists them for the job registry (they are not registered by decorators). Exactly once rests
on compare-and-set: only the process whose UPDATE flips `opened_announced_at`, `status` or
`results_sent_at` does the work, and the outbox rows it queues (dedupe keys
`poll:<id>:opened` / `poll:<id>:results`) commit in the same transaction. A restart in the
middle therefore leaves either both (done) or neither (done by the next tick).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import jobs, outbox
from services.districts.residents import in_districts
from services.i18n import Raw, Texts
from services.models import Resident, Subscription
from services.models.broadcasts import Topic
from services.polls.media import ensure_chart
from services.polls.models import Poll, PollAnswer, PollStatus
from services.polls.results import Results, results_text, tally
from services.timeutil import format_datetime

CAPTION_MAX = 1024  # Telegram's caption limit: a longer results text goes as a short caption
RESULTS_PER_RUN = 5  # charts drawn per tick at most (about a second each)


def _open_button(poll_id: int) -> Callable[[Texts], list[list[dict[str, Any]]]]:
    """A neutral link button: the channel turns `poll_<id>` into its deep link."""
    return lambda tr: [[{"text": tr("polls.btn.open"), "link": f"poll_{poll_id}"}]]


def _subscribers(poll: Poll) -> Any:
    """Residents following "consultations" who may answer this poll (or whose district is
    unknown yet: they are asked when they open it)."""
    query = (select(Subscription.resident_id)
             .join(Resident, Resident.id == Subscription.resident_id)
             .where(Subscription.topic == Topic.CONSULTATIONS.value,
                    Resident.is_active.is_(True)))
    if poll.districts:
        query = query.where(in_districts(poll.districts, include_unknown=True))
    return query


def _opened_text(question: str, closes: str) -> Callable[[Texts], str]:
    return lambda tr: tr("polls.notify.opened", question=question, closes=closes)


async def announce_openings(session: AsyncSession, now: datetime) -> None:
    """Tell "consultations" subscribers of each poll that opened (scheduled openings too)."""
    due = await session.scalars(
        select(Poll).where(Poll.status == PollStatus.PUBLISHED, Poll.announce.is_(True),
                           Poll.opened_announced_at.is_(None), Poll.opens_at <= now,
                           Poll.closes_at > now)
        .order_by(Poll.id).limit(20)
    )
    for poll in list(due):
        won = (await session.execute(
            update(Poll).where(Poll.id == poll.id, Poll.opened_announced_at.is_(None),
                               Poll.status == PollStatus.PUBLISHED)
            .values(opened_announced_at=now).returning(Poll.id)
            .execution_options(synchronize_session=False)
        )).first()
        if won is None:
            continue
        residents = list(await session.scalars(_subscribers(poll)))
        await outbox.notify_residents(
            session, residents, _opened_text(poll.question, format_datetime(poll.closes_at)),
            dedupe=f"poll:{poll.id}:opened", buttons=_open_button(poll.id), now=now,
        )


async def close_due(session: AsyncSession, now: datetime) -> None:
    """Close every published poll whose closing time has come (each exactly once)."""
    await session.execute(
        update(Poll).where(Poll.status == PollStatus.PUBLISHED, Poll.closes_at <= now)
        .values(status=PollStatus.CLOSED.value, closed_at=Poll.closes_at, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _results_caption(results: Results) -> Callable[[Texts], str]:
    def render(tr: Texts) -> str:
        full = results_text(tr, results)
        if len(full) <= CAPTION_MAX:
            return full
        return tr("polls.notify.results_short", question=results.question,
                  respondents=Raw(tr.plural("polls.results.respondents",
                                                   results.respondents)))

    return render


async def send_results(session: AsyncSession, now: datetime) -> None:
    """Results of each closed poll, with the chart, to whoever answered and to subscribers."""
    polls = list(await session.scalars(
        select(Poll).where(Poll.status == PollStatus.CLOSED, Poll.results_sent_at.is_(None))
        .order_by(Poll.id).limit(RESULTS_PER_RUN)
    ))
    for poll in polls:
        results = await tally(session, poll, now=now)
        chart = await ensure_chart(session, results)  # drawn before the claim: no lock held
        won = (await session.execute(
            update(Poll).where(Poll.id == poll.id, Poll.results_sent_at.is_(None))
            .values(results_sent_at=now).returning(Poll.id)
            .execution_options(synchronize_session=False)
        )).first()
        if won is None:
            continue
        audience = union(select(PollAnswer.resident_id).where(PollAnswer.poll_id == poll.id),
                         _subscribers(poll))
        residents = list(await session.scalars(select(audience.subquery().c[0])))
        await outbox.notify_residents(
            session, residents, _results_caption(results), dedupe=f"poll:{poll.id}:results",
            buttons=_open_button(poll.id), photo=chart, now=now,
        )


PollJob = Callable[[AsyncSession, datetime], Awaitable[None]]
# (name, handler, period): what the feature declares to the job registry, in this order (closing
# before results, so a poll closed on this tick has its results out on the same tick).
JOBS: tuple[tuple[str, PollJob, jobs.PeriodKey], ...] = (
    ("polls.open", announce_openings, jobs.every_tick),
    ("polls.close", close_due, jobs.every_tick),
    ("polls.results", send_results, jobs.every_tick),
)
