"""A resident and a poll: the card's view, answering, changing the answer.

One answer per verified resident (a unique pair in `poll_answers`, whatever the channel),
and one per person: a profile erased with /forget (or one whose phone number passed to this
resident) that answered already counts as this resident, as with petition signatures. The
answer and the poll's counter change in one transaction, under the poll's version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, false, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import attach_loaded, committed, loaded_columns, utcnow
from services.districts.rules import DistrictRules
from services.errors import Conflict, DomainError, InvalidInput, NotFound
from services.models import Resident
from services.polls.eligibility import Access, access_for, refusal
from services.polls.manage import get_poll
from services.polls.models import Poll, PollAnswer, PollChoice, PollOption, PollStatus
from services.polls.remembered import Option, recalled, remember
from services.polls.results import Results, is_closed, tally, visible_to_residents
from services.residents import insert_one_per_person, same_phone_profiles
from services.sqlite_inline import InlineWriter, inline_writer
from services.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class PollView:
    poll: Poll
    options: tuple[Option, ...]  # in their order on the card
    access: Access
    my_choices: frozenset[int]  # option ids of this resident's answer (empty: none yet)
    answered_before: bool  # an earlier profile of the same phone answered: cannot answer again
    results: Results | None  # when the resident may see them
    answer_id: int | None = None  # this resident's answer row, when there is one

    @property
    def answered(self) -> bool:
        return bool(self.my_choices) or self.answered_before


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    first: bool  # a new answer (counted), not a change
    changed: bool  # False: the same choices again (a double tap), nothing written
    choices: frozenset[int]


async def visible_poll(session: AsyncSession, poll_id: int) -> Poll:
    """A poll residents may open: published or closed (drafts exist only for staff)."""
    poll = await session.get(Poll, poll_id, populate_existing=True)
    if poll is None or poll.status == PollStatus.DRAFT:
        raise NotFound("polls.error.not_found")
    return poll


def _load_statement(with_resident: bool) -> Any:
    """The poll, its options and (with a resident) which of them are in their answer; built
    once and bound by name (poll_id, resident_id), as the petition card is."""
    mine = (select(PollAnswer.id)
            .where(PollAnswer.poll_id == bindparam("poll_id"),
                   PollAnswer.resident_id == bindparam("resident_id"))
            .scalar_subquery())
    chosen = (PollChoice.option_id == PollOption.id) & (PollChoice.answer_id == mine)
    return (select(Poll, PollOption.id, PollOption.text, PollChoice.answer_id)
            .join(PollOption, PollOption.poll_id == Poll.id)
            .outerjoin(PollChoice, chosen if with_resident else false())
            .where(Poll.id == bindparam("poll_id")).order_by(PollOption.position)
            .execution_options(populate_existing=True))


_LOAD = _load_statement(True)
_LOAD_ANONYMOUS = _load_statement(False)


async def _load(session: AsyncSession, poll_id: int, resident_id: int | None
                ) -> tuple[Poll, tuple[Option, ...], int | None, frozenset[int]]:
    """The poll, its options and this resident's answer (its id and chosen options) in one
    query: the card is opened and answered under a rush, one round trip counts."""
    if resident_id is None:
        rows = (await session.execute(_LOAD_ANONYMOUS, {"poll_id": poll_id})).all()
    else:
        rows = (await session.execute(
            _LOAD, {"poll_id": poll_id, "resident_id": resident_id})).all()
    if not rows or rows[0][0].status == PollStatus.DRAFT:
        raise NotFound("polls.error.not_found")
    poll = rows[0][0]
    options = tuple(Option(int(r[1]), r[2]) for r in rows)
    remember(session, poll, options)
    answer_id = next((int(r[3]) for r in rows if r[3] is not None), None)
    return (poll, options, answer_id, frozenset(int(r[1]) for r in rows if r[3] is not None))


async def _my_answer(session: AsyncSession, poll_id: int, resident_id: int
                     ) -> tuple[int | None, frozenset[int]]:
    rows = (await session.execute(
        select(PollAnswer.id, PollChoice.option_id)
        .outerjoin(PollChoice, PollChoice.answer_id == PollAnswer.id)
        .where(PollAnswer.poll_id == poll_id, PollAnswer.resident_id == resident_id)
    )).all()
    if not rows:
        return None, frozenset()
    return int(rows[0][0]), frozenset(int(r[1]) for r in rows if r[1] is not None)


async def _answered_before(session: AsyncSession, poll_id: int, resident: Resident) -> bool:
    if resident.phone_hash is None:
        return False
    return bool(await session.scalar(select(
        select(PollAnswer.id).where(PollAnswer.poll_id == poll_id,
                                    PollAnswer.resident_id.in_(same_phone_profiles(resident)))
        .exists())))


async def poll_view(session: AsyncSession, district_rules: DistrictRules, poll_id: int,
                    resident: Resident | None, *, now: datetime | None = None,
                    earlier_profiles: bool = True) -> PollView:
    """Everything the poll card shows this resident (None: someone not onboarded).
    `earlier_profiles=False` leaves out whether an earlier profile of the same phone answered
    (`answered_before` stays False): for answering, whose insert finds that out anyway."""
    now = now or utcnow()
    resident_id = resident.id if resident is not None else None
    poll, options, answer_id, mine = await _load(session, poll_id, resident_id)
    access = access_for(poll, resident, district_rules, now)
    before = (earlier_profiles and resident is not None and not mine
              and await _answered_before(session, poll_id, resident))
    results = await tally(session, poll, now=now) if visible_to_residents(poll, now) else None
    return PollView(poll, options, access, mine, before, results, answer_id)


def _check_selection(poll: Poll, option_ids: Collection[int], chosen: Iterable[int]
                     ) -> frozenset[int]:
    selection = frozenset(chosen)
    if not selection:
        raise InvalidInput("polls.error.choose_one")
    if not selection <= set(option_ids):
        raise Conflict("polls.error.stale_selection")
    if len(selection) > poll.max_choices:
        raise InvalidInput("polls.error.too_many_choices", max=poll.max_choices)
    return selection


def toggle(poll: Poll, option_ids: Collection[int], selection: Iterable[int],
           option_id: int) -> frozenset[int]:
    """A multiple-choice tap: the option in or out of the selection (kept by the dialog)."""
    current = frozenset(selection)
    if option_id not in option_ids or not current <= set(option_ids):
        raise Conflict("polls.error.stale_selection")
    if option_id in current:
        return current - {option_id}
    if len(current) >= poll.max_choices:
        raise InvalidInput("polls.error.too_many_choices", max=poll.max_choices)
    return current | {option_id}


_POLLS = cast(Table, Poll.__table__)
_HOLD_CONDITIONS = (_POLLS.c.id == bindparam("p_poll_id"),
                    _POLLS.c.status == PollStatus.PUBLISHED.value,
                    _POLLS.c.opens_at <= bindparam("p_now"),
                    _POLLS.c.closes_at > bindparam("p_now"))


def _hold_statement(as_seen: bool) -> Any:
    conditions = (*_HOLD_CONDITIONS, _POLLS.c.version == bindparam("p_version")) if as_seen \
        else _HOLD_CONDITIONS
    # Core, not the ORM's bulk UPDATE (~0.3 ms a tap more): nothing loaded needs syncing.
    return (update(_POLLS).where(*conditions)
            .values(answer_count=_POLLS.c.answer_count + bindparam("p_added"))
            .returning(_POLLS.c.id))


_HOLD = {True: _hold_statement(True), False: _hold_statement(False)}


async def _hold_open_poll(session: AsyncSession, poll_id: int, seen_version: int | None,
                          now: datetime, added: int) -> None:
    """Count the answer (or just lock the poll row for a change) while it is open and as seen."""
    params = {"p_poll_id": poll_id, "p_now": now, "p_added": added, "p_version": seen_version}
    held = (await session.execute(_HOLD[seen_version is not None], params)).first()
    if held is None:
        poll = await get_poll(session, poll_id)
        if is_closed(poll, now):
            raise Conflict("polls.error.closed")
        raise Conflict("polls.error.changed")  # edited since the card was shown


_ANSWERS = cast(Table, PollAnswer.__table__)
_ANSWER_FIELDS = ("poll_id", "resident_id", "district", "channel", "created_at", "updated_at")
def _answer_insert(session: AsyncSession, poll_id: int, resident: Resident, channel: str,
                   now: datetime) -> tuple[Any, dict[str, Any]]:
    """The INSERT of the resident's answer row (unless they, or an earlier profile of theirs,
    have one) and its parameters."""
    params: dict[str, Any] = {"p_poll_id": poll_id, "p_resident_id": resident.id,
                              "p_district": resident.district, "p_channel": channel,
                              "p_created_at": now, "p_updated_at": now}
    by_phone = resident.phone_hash is not None
    if by_phone:
        params["p_phone"] = resident.phone_hash
    return insert_one_per_person(session, _ANSWERS, _ANSWER_FIELDS, "poll_id", by_phone), params


async def _insert_answer(session: AsyncSession, poll_id: int, resident: Resident,
                         channel: str, now: datetime) -> int | None:
    """The resident's answer row's id, or None when they have one."""
    row = (await session.execute(*_answer_insert(session, poll_id, resident, channel, now))
           ).first()
    return None if row is None else int(row[0])


_CHOICES = cast(Table, PollChoice.__table__)


async def answer(session: AsyncSession, district_rules: DistrictRules, poll_id: int,
                 resident: Resident | None, chosen: Iterable[int], *,
                 channel: str, seen_version: int | None = None,
                 now: datetime | None = None, view: PollView | None = None) -> AnswerOutcome:
    """Answer, or change the answer while the poll is open. On an error, roll back.

    `view`: the resident's PollView this request has just read, so the poll is not read
    again (what counts is decided by the compare-and-set on the poll's version anyway).
    """
    now = now or utcnow()
    if view is not None and view.poll.id == poll_id:
        poll, options, answer_id, current = (view.poll, view.options, view.answer_id,
                                             view.my_choices)
    else:
        poll, options, answer_id, current = await _load(
            session, poll_id, resident.id if resident is not None else None)
    selection = _checked(poll, options, resident, district_rules, chosen, seen_version, now)
    assert resident is not None
    first = False
    if answer_id is None:
        answer_id = await _insert_answer(session, poll_id, resident, channel, now)
        if answer_id is None:
            # A second tap that lost the race to the first, or an earlier profile's answer.
            answer_id, current = await _my_answer(session, poll_id, resident.id)
            if answer_id is None:
                raise Conflict("polls.error.answered_before")
        else:
            first = True
    if not first and current == selection:
        return AnswerOutcome(False, False, selection)
    await _hold_open_poll(session, poll_id, seen_version, now, 1 if first else 0)
    if not first:
        await session.execute(delete(PollChoice).where(PollChoice.answer_id == answer_id))
        await session.execute(update(PollAnswer).where(PollAnswer.id == answer_id)
                              .values(updated_at=now, district=resident.district))
    await session.execute(insert(_CHOICES), [
        {"answer_id": answer_id, "poll_id": poll_id, "option_id": option_id}
        for option_id in sorted(selection)
    ])
    return AnswerOutcome(first, True, selection)


def _checked(poll: Poll, options: Iterable[Option], resident: Resident | None,
             district_rules: DistrictRules, chosen: Iterable[int], seen_version: int | None,
             now: datetime) -> frozenset[int]:
    """The selection, if this resident may answer the poll as they saw it."""
    access = access_for(poll, resident, district_rules, now)
    if access is not Access.CAN_ANSWER:
        raise refusal(access)
    selection = _check_selection(poll, [o.id for o in options], chosen)
    if seen_version is not None and poll.version != seen_version:
        raise Conflict("polls.error.changed")
    return selection


async def answer_and_commit(session: AsyncSession, district_rules: DistrictRules, poll_id: int,
                            resident: Resident | None, chosen: Iterable[int], *,
                            channel: str, seen_version: int | None = None,
                            view: PollView | None = None) -> AnswerOutcome:
    """`answer`, committed. On a SQLite file a first answer, from the `view` just read, is
    written in one transaction on the loop's thread (services/sqlite_inline.py); anything
    else, or the write lock taken, goes through the session. A DomainError leaves nothing."""
    now = utcnow()
    writer = inline_writer(session)
    if (writer is not None and view is not None and view.poll.id == poll_id
            and view.answer_id is None and resident is not None):
        selection = _checked(view.poll, view.options, resident, district_rules, chosen,
                             seen_version, now)
        if _answer_inline(session, writer, poll_id, resident, channel, seen_version,
                          selection, now):
            return AnswerOutcome(True, True, selection)
    return await committed(session, answer(
        session, district_rules, poll_id, resident, chosen, channel=channel,
        seen_version=seen_version, now=now, view=view), DomainError)


def _answer_inline(session: AsyncSession, writer: InlineWriter, poll_id: int,
                   resident: Resident, channel: str, seen_version: int | None,
                   selection: frozenset[int], now: datetime) -> bool:
    """A first answer as `answer` writes it, in one inline transaction; False (nothing
    written) when it is not one after all, the poll closed or changed, or the lock is taken."""
    connection = writer.begin()
    if connection is None:
        return False
    try:
        row = connection.execute(*_answer_insert(session, poll_id, resident, channel, now)
                                 ).first()
        if row is None:
            return False
        params = {"p_poll_id": poll_id, "p_now": now, "p_added": 1, "p_version": seen_version}
        if connection.execute(_HOLD[seen_version is not None], params).first() is None:
            return False
        connection.execute(insert(_CHOICES), [
            {"answer_id": int(row[0]), "poll_id": poll_id, "option_id": option_id}
            for option_id in sorted(selection)])
        connection.commit()
    finally:
        connection.close()  # rolls back what was not committed
    return True


_POLL_KEYS, _POLL_COLUMNS = loaded_columns(Poll)
# The counter of a first answer to the poll as seen; its RETURNING is the poll for the card.
_COUNT_ANSWER = (update(_POLLS)
                 .where(*_HOLD_CONDITIONS, _POLLS.c.version == bindparam("p_version"))
                 .values(answer_count=_POLLS.c.answer_count + 1)
                 .returning(*_POLL_COLUMNS))


def answer_known(session: AsyncSession, poll_id: int, resident: Resident | None,
                 positions: Sequence[int], *, channel: str, seen_version: int,
                 now: datetime | None = None) -> PollView | None:
    """A first answer to a poll this process has read at `seen_version`, by the options at
    `positions`, written inline with no read of its own: what the card shows either stays
    with the version or comes back from the counter. The card after it, or None (nothing
    written) for everything `answer_and_commit` must look into: a repeat or a change, a
    refusal, a closed or edited poll, no SQLite file, the write lock taken."""
    writer = inline_writer(session)
    if (writer is None or resident is None or not resident.is_verified
            or resident.forgotten_at is not None):
        return None
    known = recalled(session, poll_id, seen_version)
    if (known is None or not positions or len(positions) > known.max_choices
            or any(k >= len(known.options) for k in positions)
            or (known.districts and resident.district not in known.districts)):
        return None
    selection = frozenset(known.options[k].id for k in positions)
    now = now or utcnow()
    connection = writer.begin()
    if connection is None:
        return None
    try:
        held = connection.execute(_COUNT_ANSWER, {"p_poll_id": poll_id, "p_now": now,
                                                  "p_version": seen_version}).first()
        if held is None:
            return None
        values = dict(zip(_POLL_KEYS, held, strict=True))
        if as_utc(values["created_at"]) != known.created_at:
            return None
        row = connection.execute(*_answer_insert(session, poll_id, resident, channel, now)
                                 ).first()
        if row is None:
            return None
        answer_id = int(row[0])
        connection.execute(insert(_CHOICES), [
            {"answer_id": answer_id, "poll_id": poll_id, "option_id": option_id}
            for option_id in sorted(selection)])
        connection.commit()
    finally:
        connection.close()  # rolls back what was not committed
    poll = attach_loaded(session, Poll, values)
    return PollView(poll, known.options, Access.CAN_ANSWER, selection, False, None, answer_id)
