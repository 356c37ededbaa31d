"""Two accounts, one phone: joining a profile, taking a number handed on, undoing a join.

Security notices go to every reachable account of the profile, whatever its notification
settings, with a button to undo a join.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.db import utcnow
from services.errors import Conflict
from services.i18n import Texts
from services.models import ChannelIdentity, Resident
from services.profile.phones import mask_phone, phone_hash


async def _holder(session: AsyncSession, holder_id: int, phone: str) -> Resident:
    """The profile still holding `phone`; Conflict if it changed since the person was asked."""
    holder = await session.get(Resident, holder_id, populate_existing=True)
    if holder is None or holder.phone != phone or holder.forgotten_at is not None:
        raise Conflict("link.gone")
    return holder


def _account_recipients(identities: list[ChannelIdentity], language: str
                        ) -> list[outbox.Recipient]:
    """Every reachable account of a profile, whatever its notification settings: security
    notices are not news the person may have switched off."""
    return [outbox.Recipient(i.resident_id, i.channel, i.chat_id, language, None, None)
            for i in identities if not i.is_blocked]


async def _identities(session: AsyncSession, resident_id: int) -> list[ChannelIdentity]:
    return list(await session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.resident_id == resident_id)
        .order_by(ChannelIdentity.id)
    ))


async def link_account(
    session: AsyncSession,
    resident: Resident,
    holder_id: int,
    phone: str,
    *,
    unlink_callback: Callable[[int], str],
) -> Resident:
    """The person confirmed the profile holding their phone is theirs: this fresh profile's
    accounts join it, and the profile's other accounts are told, with a button to undo it
    (`unlink_callback(identity_id)` is that button's callback data)."""
    holder = await _holder(session, holder_id, phone)
    told = _account_recipients(await _identities(session, holder.id), holder.language)
    joining = (await session.execute(
        select(ChannelIdentity.id, ChannelIdentity.channel)
        .where(ChannelIdentity.resident_id == resident.id)
    )).all()
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.resident_id == resident.id)
        .values(resident_id=holder.id)
        .execution_options(synchronize_session=False)
    )
    holder.language = resident.language
    holder.consent_at = holder.consent_at or resident.consent_at
    holder.is_active = True
    await session.delete(resident)
    await session.flush()
    masked = mask_phone(phone)
    for identity_id, channel in joining:
        def render(tr: Texts, channel: str = channel) -> str:
            return tr("link.notify", channel=tr(f"link.channel.{channel}"), phone=masked)

        def buttons(tr: Texts, identity_id: int = identity_id) -> list[list[dict[str, Any]]]:
            return [[{"text": tr("link.unlink_button"), "callback": unlink_callback(identity_id)}]]

        await outbox.notify(session, told, render, buttons=buttons, urgent=True,
                            dedupe=f"account:{identity_id}:linked")
    return holder


async def take_phone(
    session: AsyncSession,
    resident: Resident,
    holder_id: int,
    phone: str,
    *,
    phone_secret: str | None,
    channel: str,
) -> Resident:
    """The person says the profile holding their phone is not theirs (a number handed on):
    the phone moves to this profile, the other keeps everything else and is told to verify
    its current number. Both keep the phone's hash, so the number still signs once."""
    holder = await _holder(session, holder_id, phone)
    hashed = await phone_hash(session, phone, phone_secret)
    holder.phone_hash = holder.phone_hash or hashed
    holder.phone = None
    holder.phone_verified_at = None
    await session.flush()  # the phone is unique: free it before this profile takes it
    resident.phone = phone
    resident.phone_verified_at = utcnow()
    resident.phone_hash = hashed
    await session.flush()
    masked = mask_phone(phone)
    await outbox.notify(
        session,
        _account_recipients(await _identities(session, holder.id), holder.language),
        lambda tr: tr("link.phone_taken", phone=masked, channel=tr(f"link.channel.{channel}")),
        urgent=True,
        dedupe=f"phone-taken:{holder.id}:{resident.id}",
    )
    return resident


async def unlink_account(session: AsyncSession, owner: Resident, identity_id: int, *,
                         presser: tuple[str, str]) -> bool:
    """Detach one account from the owner's profile (not the one pressing): it loses access and
    starts afresh at /start. False if it is not (or no longer) linked to this profile.

    Only an account linked before it may detach an account: a newcomer on a recycled number
    (or a forged button) cannot throw the profile's earlier accounts out.
    """
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.id == identity_id,
                                      ChannelIdentity.resident_id == owner.id)
    )
    pressing = await session.scalar(
        select(ChannelIdentity.id).where(ChannelIdentity.channel == presser[0],
                                         ChannelIdentity.external_id == presser[1],
                                         ChannelIdentity.resident_id == owner.id)
    )
    if identity is None or pressing is None or identity.id <= pressing:
        return False
    notice = outbox.Recipient(0, identity.channel, identity.chat_id, owner.language, None, None)
    await session.delete(identity)
    await session.flush()
    await outbox.notify(session, [notice], lambda tr: tr("link.unlinked_notice"), urgent=True)
    return True
