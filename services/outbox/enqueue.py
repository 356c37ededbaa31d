"""Writing notifications into the outbox: who is reachable, staff of a role, a row each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.db import insert_ignoring_conflicts, utcnow
from services.i18n import Texts, get_translator
from services.models import (
    Channel,
    ChannelIdentity,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Resident,
    Role,
)
from services.timeutil import quiet_hours_end

Render = Callable[[Texts], str]


def press_button(text: str, action: str, **args: int | str) -> dict[str, Any]:
    """A notification button that acts when pressed, named by `action`: the feature handling
    the press packs it for the conversation layer at send time (Feature.presses), so services
    never hold a callback wire format."""
    return {"text": text, "press": {"action": action, **args}}


@dataclass(frozen=True, slots=True)
class Recipient:
    resident_id: int
    channel: str
    chat_id: str
    language: str
    quiet_from: int | None
    quiet_to: int | None


def _on_chosen_channel() -> ColumnElement[bool]:
    """The identity is one the resident wants notifications on: any if he chose every
    messenger or we do not know his last one; else the messenger he used last, or, when he
    cannot be reached there any more (unsubscribed), his others."""
    last = aliased(ChannelIdentity)
    reachable_on_last = select(last.id).where(
        last.resident_id == Resident.id, last.channel == Resident.last_channel,
        last.is_blocked.is_(False)).exists()
    return or_(Resident.notify_every_channel.is_(True), Resident.last_channel.is_(None),
               ChannelIdentity.channel == Resident.last_channel, ~reachable_on_last)


def reachable_recipients() -> Select[Any]:
    """Rows of `Recipient`: the chat (or chats, see `_on_chosen_channel`) of every resident who
    can and wants to be told things."""
    return (
        select(
            Resident.id,
            ChannelIdentity.channel,
            ChannelIdentity.chat_id,
            Resident.language,
            Resident.quiet_from,
            Resident.quiet_to,
        )
        .join(ChannelIdentity, ChannelIdentity.resident_id == Resident.id)
        .where(
            Resident.is_active.is_(True),
            Resident.notifications_enabled.is_(True),
            Resident.forgotten_at.is_(None),
            ChannelIdentity.is_blocked.is_(False),
            _on_chosen_channel(),
        )
    )


async def recipients_for(
    session: AsyncSession, resident_ids: Iterable[int] | None = None
) -> list[Recipient]:
    """Reachable channel identities of the given residents (all active residents if None)."""
    query = reachable_recipients()
    if resident_ids is not None:
        ids = list(set(resident_ids))
        if not ids:
            return []
        rows: list[Any] = []
        for start in range(0, len(ids), 500):  # stay under the bind-parameter limits
            chunk = ids[start : start + 500]
            rows.extend((await session.execute(query.where(Resident.id.in_(chunk)))).all())
    else:
        rows = list((await session.execute(query)).all())
    return [Recipient(*row) for row in rows]


async def staff_recipients(session: AsyncSession, role: Role, channel: str | None = None
                           ) -> list[Recipient]:
    """Staff accounts holding `role` (admins included), in their own language if known; on
    `channel` only, or on every channel they hold the role on (None)."""
    channels = [channel] if channel is not None else [c.value for c in Channel]
    result: list[Recipient] = []
    for name in channels:
        result += await _staff_recipients_on(session, role, name)
    return result


async def _staff_recipients_on(session: AsyncSession, role: Role, channel: str
                               ) -> list[Recipient]:
    from services.roles import accounts_with_role

    accounts = await accounts_with_role(session, channel, role)
    if not accounts:
        return []
    known = {
        ext: (rid, lang)
        for ext, rid, lang in (
            await session.execute(
                select(ChannelIdentity.external_id, Resident.id, Resident.language)
                .join(Resident, Resident.id == ChannelIdentity.resident_id)
                .where(ChannelIdentity.channel == channel,
                       ChannelIdentity.external_id.in_(accounts))
            )
        ).all()
    }
    result = []
    for ext in accounts:
        rid, lang = known.get(ext, (None, "uk"))
        # Staff chats are private chats with the bot: the chat id is the account id.
        result.append(Recipient(rid or 0, channel, ext, lang, None, None))
    return result


async def notify(
    session: AsyncSession,
    recipients: Sequence[Recipient],
    render: Render,
    *,
    priority: Priority = Priority.NORMAL,
    urgent: bool = False,
    dedupe: str | None = None,
    buttons: Callable[[Texts], list[list[dict[str, Any]]]] | None = None,
    photo: str | None = None,
    document: str | None = None,
    broadcast_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one message per recipient, rendered in each one's language.

    `dedupe` makes the call idempotent: the same key never queues a second copy for the same
    recipient, however often a job or a retry runs. Non-urgent messages wait out quiet hours.
    Returns how many rows were queued.
    """
    if not recipients:
        return 0
    now = now or utcnow()
    translator = get_translator()
    rendered: dict[str, tuple[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for r in recipients:
        if r.language not in rendered:
            texts = translator.for_language(r.language)
            rendered[r.language] = (render(texts), buttons(texts) if buttons else None)
        text, markup = rendered[r.language]
        rows.append(
            {
                "channel": r.channel,
                "chat_id": r.chat_id,
                "resident_id": r.resident_id or None,
                "text": text,
                "buttons": markup,
                "photo": photo,
                "document": document,
                "priority": int(Priority.URGENT if urgent else priority),
                "not_before": now if urgent else quiet_hours_end(now, r.quiet_from, r.quiet_to),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "broadcast_id": broadcast_id,
                "dedupe_key": f"{dedupe}:{r.channel}:{r.chat_id}" if dedupe else None,
                "created_at": now,
            }
        )
    queued = 0
    # RETURNING counts the rows really inserted (executemany rowcount is -1 on asyncpg).
    stmt = insert_ignoring_conflicts(session, OutboxMessage.__table__).returning(
        OutboxMessage.__table__.c.id
    )
    for start in range(0, len(rows), 1000):
        result = await session.execute(stmt, rows[start : start + 1000])
        queued += len(result.all())
    return queued


async def notify_residents(
    session: AsyncSession, resident_ids: Iterable[int], render: Render, **kwargs: Any
) -> int:
    """`notify` for residents by id (the common case for domain events)."""
    return await notify(session, await recipients_for(session, resident_ids), render, **kwargs)
