"""A moderator's poll: create (a draft to preview), publish, edit before the first answer,
close early, discard a draft. Every step checks the role, is audited, and changes the poll
with a compare-and-set UPDATE, so a double press or two moderators at once change it once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import utcnow
from services.districts.rules import DistrictRules
from services.errors import Conflict, InvalidInput, NotFound
from services.polls.access import Staff, require_moderator
from services.polls.models import Poll, PollOption, PollStatus
from services.polls.rules import PollRules
from services.polls.validation import (
    PollSpec,
    check_max_choices,
    validate_description,
    validate_options,
    validate_question,
)
from services.timeutil import as_utc

EDITABLE = (PollStatus.DRAFT, PollStatus.PUBLISHED)


async def get_poll(session: AsyncSession, poll_id: int) -> Poll:
    poll = await session.get(Poll, poll_id, populate_existing=True)
    if poll is None:
        raise NotFound("polls.error.not_found")
    return poll


async def options_of(session: AsyncSession, poll_id: int) -> list[PollOption]:
    rows = await session.scalars(
        select(PollOption).where(PollOption.poll_id == poll_id).order_by(PollOption.position)
    )
    return list(rows)


async def _write_options(session: AsyncSession, poll_id: int, options: Sequence[str]) -> None:
    await session.execute(
        insert(PollOption),
        [{"poll_id": poll_id, "position": i, "text": text} for i, text in enumerate(options)],
    )


async def create_draft(session: AsyncSession, rules: PollRules, district_rules: DistrictRules,
                       staff: Staff, spec: PollSpec, *, now: datetime | None = None) -> Poll:
    """Store the moderator's poll as a draft, for the preview; `publish` makes it public."""
    await require_moderator(session, staff)
    now = now or utcnow()
    spec = spec.checked(rules, district_rules, now)
    poll = Poll(
        question=spec.question, description=spec.description, multiple=spec.multiple,
        max_choices=spec.max_choices, districts=list(spec.districts), opens_at=spec.opens_at,
        closes_at=spec.closes_at, results_while_open=spec.results_while_open,
        announce=spec.announce, status=PollStatus.DRAFT.value, version=1, answer_count=0,
        created_by=staff.key, created_at=now, updated_at=now,
    )
    session.add(poll)
    await session.flush()
    await _write_options(session, poll.id, spec.options)
    await audit.record(session, staff.key, "poll.create", "poll", poll.id,
                       options=len(spec.options), districts=list(spec.districts))
    return poll


async def _why_not(session: AsyncSession, poll_id: int, version: int | None,
                   now: datetime) -> Conflict:
    """After a compare-and-set found nothing: the reason, to tell the moderator."""
    poll = await get_poll(session, poll_id)
    if poll.status == PollStatus.CLOSED or as_utc(poll.closes_at) <= now:
        return Conflict("polls.error.closed")
    if version is not None and poll.version != version:
        return Conflict("polls.error.changed")
    if poll.answer_count:
        return Conflict("polls.error.has_answers")
    return Conflict("polls.error.already_published")


async def publish(session: AsyncSession, staff: Staff, poll_id: int, version: int, *,
                  now: datetime | None = None) -> Poll:
    """Draft → published, once; it opens at its opening time (now, if that has passed)."""
    await require_moderator(session, staff)
    now = now or utcnow()
    poll = await get_poll(session, poll_id)
    won = (await session.execute(
        update(Poll)
        .where(Poll.id == poll_id, Poll.status == PollStatus.DRAFT, Poll.version == version,
               Poll.closes_at > now)
        .values(status=PollStatus.PUBLISHED.value, published_at=now,
                opens_at=max(as_utc(poll.opens_at), now), updated_at=now)
        .returning(Poll.id)
        .execution_options(synchronize_session=False)
    )).first()
    if won is None:
        raise await _why_not(session, poll_id, version, now)
    await audit.record(session, staff.key, "poll.publish", "poll", poll_id)
    return await get_poll(session, poll_id)


async def edit_texts(session: AsyncSession, rules: PollRules, staff: Staff, poll_id: int,
                     version: int, *, question: str | None = None,
                     description: str | None = None, clear_description: bool = False,
                     options: Sequence[str] | None = None, now: datetime | None = None
                     ) -> Poll:
    """Change the question, description or options, only while nobody has answered.

    The UPDATE carries `answer_count = 0` and the version the moderator saw: an answer that
    lands first (or another edit) makes this one fail instead of changing what was answered.
    """
    await require_moderator(session, staff)
    now = now or utcnow()
    values: dict[str, Any] = {"version": Poll.version + 1, "updated_at": now}
    changed: list[str] = []
    if question is not None:
        values["question"] = validate_question(question, rules)
        changed.append("question")
    if clear_description:
        values["description"] = None
        changed.append("description")
    elif description is not None:
        values["description"] = validate_description(description, rules)
        changed.append("description")
    clean_options = validate_options(options, rules) if options is not None else None
    if clean_options is not None:
        poll = await get_poll(session, poll_id)
        check_max_choices(poll.multiple, poll.max_choices, len(clean_options))
        changed.append("options")
    if not changed:
        raise InvalidInput("polls.error.nothing_to_change")
    won = (await session.execute(
        update(Poll)
        .where(Poll.id == poll_id, Poll.status.in_(EDITABLE), Poll.version == version,
               Poll.answer_count == 0, Poll.closes_at > now)
        .values(**values)
        .returning(Poll.id)
        .execution_options(synchronize_session=False)
    )).first()
    if won is None:
        raise await _why_not(session, poll_id, version, now)
    if clean_options is not None:
        await session.execute(delete(PollOption).where(PollOption.poll_id == poll_id))
        await _write_options(session, poll_id, clean_options)
    await audit.record(session, staff.key, "poll.edit", "poll", poll_id, fields=changed)
    return await get_poll(session, poll_id)


async def close_early(session: AsyncSession, staff: Staff, poll_id: int, *,
                      now: datetime | None = None) -> Poll:
    """Close a published poll now; the results go out with the next scheduler tick."""
    await require_moderator(session, staff)
    now = now or utcnow()
    won = (await session.execute(
        update(Poll)
        .where(Poll.id == poll_id, Poll.status == PollStatus.PUBLISHED, Poll.closes_at > now)
        .values(status=PollStatus.CLOSED.value, closed_at=now, closed_by=staff.key,
                updated_at=now)
        .returning(Poll.id)
        .execution_options(synchronize_session=False)
    )).first()
    if won is None:
        poll = await get_poll(session, poll_id)
        raise Conflict("polls.error.not_published" if poll.status == PollStatus.DRAFT
                       else "polls.error.closed")
    await audit.record(session, staff.key, "poll.close", "poll", poll_id)
    return await get_poll(session, poll_id)


async def discard_draft(session: AsyncSession, staff: Staff, poll_id: int) -> bool:
    """Throw away an unpublished draft (the preview's "cancel"); False if it was not one."""
    await require_moderator(session, staff)
    deleted = (await session.execute(
        delete(Poll).where(Poll.id == poll_id, Poll.status == PollStatus.DRAFT)
        .returning(Poll.id).execution_options(synchronize_session=False)
    )).first()
    if deleted is not None:
        await audit.record(session, staff.key, "poll.discard", "poll", poll_id)
    return deleted is not None
