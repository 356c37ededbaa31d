"""A decision linked to the petition it answers (staff only), and telling the petition's
signers how the council voted, once the decision is published: at publication, or at once
when staff link a decision already published. Exactly once per decision and petition, by
the outbox dedupe key `votes:<event>:petition:<petition>`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, outbox
from services import petitions as petition_service
from services.db import insert_ignoring_conflicts, utcnow
from services.errors import NotFound
from services.i18n import Texts, echo
from services.models import Petition, Signature
from services.votes.access import Actor, require_staff
from services.votes.models import (
    DecisionPetition,
    DecisionResult,
    SessionStatus,
    VoteEvent,
    VoteSession,
)

Buttons = Callable[[Texts], list[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class LinkedPetition:
    petition_id: int
    number: int | None
    title: str


async def linked_petition(db: AsyncSession, event_id: int) -> LinkedPetition | None:
    row = (await db.execute(
        select(Petition.id, Petition.number, Petition.title)
        .join(DecisionPetition, DecisionPetition.petition_id == Petition.id)
        .where(DecisionPetition.event_id == event_id))).first()
    return LinkedPetition(row[0], row[1], row[2]) if row else None


async def _event(db: AsyncSession, event_id: int) -> tuple[int, bool]:
    row = (await db.execute(
        select(VoteEvent.id, VoteSession.status)
        .join(VoteSession, VoteSession.id == VoteEvent.session_id)
        .where(VoteEvent.id == event_id))).first()
    if row is None:
        raise NotFound("votes.error.decision_not_found")
    return row[0], row[1] == SessionStatus.PUBLISHED


async def link_petition(db: AsyncSession, actor: Actor, event_id: int, number: int, *,
                        buttons: Buttons | None = None, now: datetime | None = None
                        ) -> LinkedPetition:
    """Link the decision to public petition №`number` (replacing any other link); when the
    decision is published already, its signers are told now."""
    await require_staff(db, actor)
    event_id, published = await _event(db, event_id)
    petition_id = await petition_service.find_published(db, number)
    await db.execute(delete(DecisionPetition).where(DecisionPetition.event_id == event_id))
    await db.execute(insert_ignoring_conflicts(db, DecisionPetition.__table__).values(
        event_id=event_id, petition_id=petition_id, linked_by=actor.key,
        created_at=now or utcnow()))
    await audit.record(db, actor.key, "votes.link_petition", "vote_event", event_id,
                       petition_id=petition_id)
    if published:
        await tell_signers(db, [event_id], buttons=buttons, now=now)
    linked = await linked_petition(db, event_id)
    assert linked is not None
    return linked


async def unlink_petition(db: AsyncSession, actor: Actor, event_id: int) -> bool:
    await require_staff(db, actor)
    await _event(db, event_id)
    gone = (await db.execute(delete(DecisionPetition)
                             .where(DecisionPetition.event_id == event_id)
                             .returning(DecisionPetition.petition_id))).first()
    if gone is not None:
        await audit.record(db, actor.key, "votes.unlink_petition", "vote_event", event_id,
                           petition_id=gone[0])
    return gone is not None


def _render(number: int | None, petition: str, decision: str, result: DecisionResult | None,
            counts: tuple[int, ...]) -> Callable[[Texts], str]:
    def render(tr: Texts) -> str:
        result_text = tr(f"votes.result.{result.value}" if result else "votes.result.unknown")
        return tr("votes.notify.petition", number=number or "—", petition=echo(petition, 150),
                  decision=echo(decision, 300), result=result_text, for_=counts[0],
                  against=counts[1], abstain=counts[2], not_voting=counts[3],
                  absent=counts[4])

    return render


async def tell_signers(db: AsyncSession, event_ids: list[int], *, buttons: Buttons | None = None,
                       now: datetime | None = None) -> int:
    """Queue, to each signer of a petition linked to these decisions, how the council voted."""
    if not event_ids:
        return 0
    rows = (await db.execute(
        select(DecisionPetition.event_id, Petition.id, Petition.number, Petition.title,
               VoteEvent.title, VoteEvent.result, VoteEvent.for_count, VoteEvent.against_count,
               VoteEvent.abstain_count, VoteEvent.not_voting_count, VoteEvent.absent_count)
        .join(Petition, Petition.id == DecisionPetition.petition_id)
        .join(VoteEvent, VoteEvent.id == DecisionPetition.event_id)
        .where(DecisionPetition.event_id.in_(event_ids)))).all()
    queued = 0
    for event_id, petition_id, number, petition, title, result, *counts in rows:
        signers = list(await db.scalars(select(Signature.resident_id)
                                        .where(Signature.petition_id == petition_id)))
        queued += await outbox.notify_residents(
            db, signers, _render(number, petition, title,
                                 DecisionResult(result) if result else None, tuple(counts)),
            dedupe=f"votes:{event_id}:petition:{petition_id}", buttons=buttons, now=now)
    return queued


async def session_links(db: AsyncSession, session_id: int) -> list[int]:
    """The decisions of a session that are linked to a petition."""
    return list(await db.scalars(
        select(DecisionPetition.event_id)
        .join(VoteEvent, VoteEvent.id == DecisionPetition.event_id)
        .where(VoteEvent.session_id == session_id)))
