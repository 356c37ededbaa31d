"""What the feature tells people, through the outbox, exactly once per event (dedupe keys).

Each message is rendered in the recipient's language. Buttons are channel-neutral: a `link`
carries the deep-link payload of the petition's card and the channel builds its own URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.i18n import Raw, Texts
from services.models import Role
from services.petitions.models import AnswerKind, Petition, RejectReason, Signature
from services.petitions.rules import PetitionRules
from services.petitions.sharing import link_payload
from services.petitions.status import working_days_due
from services.timeutil import format_date, to_local

__all__ = [
    "answer_overdue",
    "answered",
    "moderation_overdue",
    "open_button",
    "published",
    "rejected",
    "submitted",
    "threshold_reached",
]

Buttons = Callable[[Texts], list[list[dict[str, Any]]]]


def open_button(petition_id: int) -> Buttons:
    """One button that opens the petition's card in the bot, on whichever channel."""
    payload = link_payload(petition_id)
    return lambda tr: [[{"text": tr("petition.btn.open"), "link": payload}]]


def _counted(tr: Texts, count: int) -> Raw:
    """`count` spelled as '5 signatures' in the recipient's language."""
    return Raw(tr.plural("petition.signatures", count))


def _render(key: str, **params: Any) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr(key, **params)

    return render


def render_counted(key: str, count: int, **params: Any) -> outbox.Render:
    """Render `key` with `count` spelled as '5 signatures' in the recipient's language."""

    def render(tr: Texts) -> str:
        return tr(key, count=_counted(tr, count), **params)

    return render


async def _signer_ids(session: AsyncSession, petition_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Signature.resident_id).where(Signature.petition_id == petition_id)
        )
    )


async def _author_and_signers(session: AsyncSession, petition: Petition) -> list[int]:
    author = [petition.author_id] if petition.author_id is not None else []
    return author + await _signer_ids(session, petition.id)


async def moderators(session: AsyncSession) -> list[outbox.Recipient]:
    return await outbox.staff_recipients(session, Role.MODERATOR)


async def _council_channel(
    session: AsyncSession, rules: PetitionRules, render: outbox.Render, dedupe: str,
    now: datetime,
) -> None:
    """A public notice in the council's channel, when one is configured."""
    if rules.council_channel_id is None:
        return
    channel = outbox.Recipient(0, rules.council_channel, str(rules.council_channel_id), "uk",
                               None, None)
    await outbox.notify(session, [channel], render, dedupe=dedupe, now=now)


# ---- one per event ------------------------------------------------------------------------


async def submitted(session: AsyncSession, petition: Petition, now: datetime) -> None:
    """Moderators: a new petition waits for them."""
    await outbox.notify(
        session, await moderators(session),
        _render("petition.notify.submitted_staff", title=petition.title),
        dedupe=f"petition:{petition.id}:submitted", now=now,
    )


async def published(session: AsyncSession, rules: PetitionRules, petition: Petition,
                    now: datetime) -> None:
    """The author, then the council's channel: collection has started."""
    number, title = petition.number, petition.title
    deadline = format_date(now + timedelta(days=rules.period_days))
    if petition.author_id is not None:
        await outbox.notify_residents(
            session,
            [petition.author_id],
            lambda tr: tr("petition.notify.published", number=number, title=title,
                          deadline=deadline, threshold=_counted(tr, rules.threshold)),
            dedupe=f"petition:{petition.id}:published",
            buttons=open_button(petition.id),
            now=now,
        )
    await _council_channel(
        session, rules,
        _render("petition.notify.published_channel", number=number, title=title,
                deadline=deadline),
        f"petition:{petition.id}:published:channel", now,
    )


async def rejected(session: AsyncSession, petition: Petition, reason: RejectReason,
                   comment: str | None, now: datetime) -> None:
    """The author: why, with the moderator's comment if there is one."""
    if petition.author_id is None:
        return
    title = petition.title

    def render(tr: Texts) -> str:
        text = tr("petition.notify.rejected", title=title,
                  reason=Raw(tr(f"petition.reason.{reason.value}")))
        if comment:
            text += "\n\n" + tr("petition.notify.rejected_comment", comment=comment)
        return text

    await outbox.notify_residents(
        session, [petition.author_id], render, dedupe=f"petition:{petition.id}:rejected",
        now=now,
    )


async def threshold_reached(session: AsyncSession, rules: PetitionRules, petition: Petition,
                            count: int, now: datetime) -> None:
    """The author and signers, the moderators (with the answer's due date), the channel."""
    number, title = petition.number, petition.title
    dedupe = f"petition:{petition.id}:threshold"
    # Residents first: a moderator who also signed gets the residents' text, once.
    await outbox.notify_residents(
        session,
        await _author_and_signers(session, petition),
        lambda tr: tr("petition.notify.threshold", number=number, title=title,
                      count=_counted(tr, count)),
        dedupe=dedupe,
        buttons=open_button(petition.id),
        now=now,
    )
    due = format_date(working_days_due(now, rules.answer_working_days))
    await outbox.notify(
        session,
        await moderators(session),
        lambda tr: tr("petition.notify.threshold_staff", number=number, title=title,
                      count=_counted(tr, count), due=due),
        dedupe=dedupe,
        now=now,
    )
    await _council_channel(
        session, rules,
        lambda tr: tr("petition.notify.threshold_channel", number=number, title=title,
                      count=_counted(tr, count)),
        f"{dedupe}:channel", now,
    )


async def answered(session: AsyncSession, rules: PetitionRules, petition: Petition,
                   kind: AnswerKind, answer: str, now: datetime) -> None:
    """The council's answer to the author and every signer, and in the channel."""
    number, title = petition.number, petition.title

    def render(tr: Texts) -> str:
        return tr("petition.notify.answered", number=number, title=title,
                  kind=Raw(tr(f"petition.answer_kind.{kind.value}")), answer=answer)

    await outbox.notify_residents(
        session, await _author_and_signers(session, petition), render,
        dedupe=f"petition:{petition.id}:answer", buttons=open_button(petition.id), now=now,
    )
    await _council_channel(session, rules, render, f"petition:{petition.id}:answer:channel",
                           now)


async def moderation_overdue(session: AsyncSession, rows: list[tuple[int, str, datetime]],
                             now: datetime) -> int:
    """Moderators, once per petition: (id, title, filed at) waited past the deadline."""
    staff = await moderators(session)
    queued = 0
    for pid, title, created_at in rows:
        queued += await outbox.notify(
            session, staff,
            _render("petition.notify.moderation_overdue_staff", title=title,
                    filed=format_date(created_at)),
            dedupe=f"petition:{pid}:moderation_overdue", now=now,
        )
    return queued


async def answer_overdue(session: AsyncSession, rows: list[tuple[int, int | None, str, Any]],
                         now: datetime) -> int:
    """Moderators, once a day: (id, number, title, due) whose answer is overdue."""
    staff = await moderators(session)
    day = to_local(now).date().isoformat()
    queued = 0
    for pid, number, title, due in rows:
        queued += await outbox.notify(
            session, staff,
            _render("petition.notify.answer_overdue_staff", number=number, title=title,
                    due=format_date(due)),
            dedupe=f"petition:{pid}:answer_overdue:{day}", now=now,
        )
    return queued
