"""Integer aliases of string user ids (Viber's), well above any Telegram user id.

Telegram user ids have at most 52 significant bits, so aliases start at 2**53: the two never
meet in dialog-state keys, per-person locks or throttling buckets, which all key on the int.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, utcnow
from services.models import ChannelAlias

ALIAS_BASE = 2**53


def is_alias(number: int) -> bool:
    return number > ALIAS_BASE


async def alias_for(session: AsyncSession, channel: str, external_id: str) -> int:
    """The alias of an account, made on first sight (two processes racing get the same)."""
    return (await aliases_for(session, channel, [external_id]))[external_id]


async def aliases_for(session: AsyncSession, channel: str, external_ids: Iterable[str]
                      ) -> dict[str, int]:
    """The aliases of many accounts, made on first sight: one query for those seen before, one
    INSERT and one query more for the new ones."""
    wanted = set(external_ids)
    if not wanted:
        return {}
    found = await _known(session, channel, wanted)
    new = sorted(wanted - found.keys())  # first sight; in one order, as every process does
    if new:
        now = utcnow()
        # Many rows as parameters: a statement compiled once (see services.inbox.store_many).
        await session.execute(insert_ignoring_conflicts(session, ChannelAlias.__table__),
                              [{"channel": channel, "external_id": ext, "created_at": now}
                               for ext in new])
        found |= await _known(session, channel, new)
        if len(found) < len(wanted):  # only under an isolation level that hides the winner's row
            raise RuntimeError(f"no alias could be made for a {channel} account")
    return found


async def _known(session: AsyncSession, channel: str, external_ids: Collection[str]
                 ) -> dict[str, int]:
    return {ext: ALIAS_BASE + row_id for row_id, ext in (await session.execute(
        select(ChannelAlias.id, ChannelAlias.external_id).where(
            ChannelAlias.channel == channel, ChannelAlias.external_id.in_(external_ids)))).all()}


async def account_of(session: AsyncSession, alias: int) -> tuple[str, str] | None:
    """(channel, external id) behind an alias; None for a number that is no alias of ours."""
    if not is_alias(alias):
        return None
    row = (await session.execute(
        select(ChannelAlias.channel, ChannelAlias.external_id)
        .where(ChannelAlias.id == alias - ALIAS_BASE))).first()
    return (row[0], row[1]) if row is not None else None
