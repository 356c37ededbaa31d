"""Moderators' actions: publish (numbered), reject with a reason, fix typos, and the council's
answer. Each is a guarded status change (services/petitions/status.py) and is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import utcnow
from services.errors import Conflict, InvalidInput
from services.petitions import notifications
from services.petitions.models import AnswerKind, Petition, PetitionStatus, RejectReason
from services.petitions.numbering import next_number
from services.petitions.rules import PetitionRules
from services.petitions.status import AWAITING, get, transition
from services.petitions.validation import (
    search_text,
    validate_answer,
    validate_answer_kind,
    validate_comment,
    validate_reason,
    validate_text,
    validate_title,
)

__all__ = ["approve", "edit", "mark_under_consideration", "publish_answer", "reject"]

EDITABLE = (PetitionStatus.MODERATION, PetitionStatus.COLLECTING)


async def approve(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    *,
    now: datetime | None = None,
) -> Petition:
    """Publish: collection starts now, deadline = now + period, threshold fixed from now on."""
    now = now or utcnow()
    petition = await transition(
        session,
        petition_id,
        [PetitionStatus.MODERATION],
        "petition.error.already_moderated",
        status=PetitionStatus.COLLECTING,
        published_at=now,
        deadline=now + timedelta(days=rules.period_days),
        threshold=rules.threshold,
    )
    # Numbered only once the publication is won.
    petition.number = await next_number(session)
    await session.flush()
    await audit.record(session, actor, "petition.approve", "petition", petition_id,
                       number=petition.number)
    await notifications.published(session, rules, petition, now)
    return petition


async def reject(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    reason: RejectReason | str,
    comment: str | None = None,
    *,
    now: datetime | None = None,
) -> Petition:
    """Reject with a reason code; an offensive petition is hidden from everyone."""
    code = validate_reason(reason)
    clean_comment = validate_comment(comment, rules)
    now = now or utcnow()
    status = PetitionStatus.HIDDEN if code == RejectReason.OFFENSIVE else PetitionStatus.REJECTED
    petition = await transition(
        session,
        petition_id,
        [PetitionStatus.MODERATION],
        "petition.error.already_moderated",
        status=status,
        reject_reason=code.value,
        reject_comment=clean_comment,
        closed_at=now,
    )
    await audit.record(session, actor, "petition.reject", "petition", petition_id,
                       reason=code.value, comment=clean_comment)
    await notifications.rejected(session, petition, code, clean_comment, now)
    return petition


async def edit(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    *,
    title: str | None = None,
    text: str | None = None,
) -> Petition:
    """Fix an obvious typo before or during collection; the old wording stays in the audit."""
    petition = await get(session, petition_id)
    if petition.status not in EDITABLE:
        raise Conflict("petition.error.edit_closed")
    changes: dict[str, dict[str, str]] = {}
    if title is not None:
        new_title = validate_title(title, rules)
        if new_title != petition.title:
            changes["title"] = {"old": petition.title, "new": new_title}
            petition.title = new_title
    if text is not None:
        new_text = validate_text(text, rules)
        if new_text != petition.text:
            changes["text"] = {"old": petition.text, "new": new_text}
            petition.text = new_text
    if not changes:
        raise InvalidInput("petition.error.edit_same")
    petition.search_text = search_text(petition.title, petition.text)
    await session.flush()
    await audit.record(session, actor, "petition.edit", "petition", petition_id, **changes)
    return petition


async def mark_under_consideration(
    session: AsyncSession, actor: str, petition_id: int
) -> Petition:
    petition = await transition(
        session,
        petition_id,
        [PetitionStatus.AWAITING_ANSWER],
        "petition.error.not_awaiting",
        status=PetitionStatus.UNDER_CONSIDERATION,
    )
    await audit.record(session, actor, "petition.consider", "petition", petition_id)
    return petition


async def publish_answer(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    kind: AnswerKind | str,
    text: str | None,
    *,
    now: datetime | None = None,
) -> Petition:
    """Publish the council's answer; it goes to every signer and the author, once."""
    answer_kind = validate_answer_kind(kind)
    answer = validate_answer(text, rules)
    now = now or utcnow()
    petition = await transition(
        session,
        petition_id,
        list(AWAITING),
        "petition.error.not_awaiting",
        status=PetitionStatus.ANSWERED,
        answer_kind=answer_kind.value,
        answer_text=answer,
        answered_at=now,
        closed_at=now,
    )
    await audit.record(session, actor, "petition.answer", "petition", petition_id,
                       kind=answer_kind.value)
    await notifications.answered(session, rules, petition, answer_kind, answer, now)
    return petition
