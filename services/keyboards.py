"""The keyboard each person was last shown, on a messenger that shows only the newest
message's (Viber): kept in the database so every process that sends to them (the one serving
the webhook, a sender that only delivers the outbox) puts the same one on a message that
comes without its own. Plain JSON-able dicts in and out; /forget erases them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import utcnow
from services.models import ChannelIdentity, ChannelKeyboard

Board = dict[str, Any]

# Plain SQL, the same on SQLite (3.24+) and PostgreSQL, compiled once: the webhook's processor
# runs these once a batch, under a rush of presses.
_READ = text("SELECT external_id, board FROM channel_keyboards "
             "WHERE channel = :channel AND external_id IN :ids").bindparams(
    bindparam("ids", expanding=True))
_UPSERT = text("INSERT INTO channel_keyboards (channel, external_id, board, updated_at) "
               "VALUES (:channel, :external_id, :board, :updated_at) "
               "ON CONFLICT (channel, external_id) DO UPDATE "
               "SET board = excluded.board, updated_at = excluded.updated_at").bindparams(
    bindparam("updated_at", type_=DateTime(timezone=True)))


async def stored_boards(session: AsyncSession, channel: str, external_ids: Collection[str]
                        ) -> dict[str, str]:
    """The stored keyboards of those of these accounts that have one, as their JSON text."""
    if not external_ids:
        return {}
    rows = await session.execute(_READ, {"channel": channel, "ids": list(external_ids)})
    return {str(external_id): str(board) for external_id, board in rows}


def parse_board(stored: str | None) -> Board | None:
    """A keyboard as `stored_boards` gives it (None for none, or one that is no keyboard)."""
    if stored is None:
        return None
    try:
        loaded = orjson.loads(stored)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


async def boards_of(session: AsyncSession, channel: str, external_ids: Collection[str]
                    ) -> dict[str, Board | None]:
    """The stored keyboard of each of these accounts (None for those with none)."""
    stored = await stored_boards(session, channel, external_ids)
    return {external_id: parse_board(stored.get(external_id)) for external_id in external_ids}


async def save(session: AsyncSession, channel: str, boards: Mapping[str, Board | None], *,
               now: datetime | None = None) -> None:
    """Keep these keyboards (None: the account is shown none now); one statement each kind."""
    # In one order everywhere: two processes storing the same people never deadlock.
    boards = dict(sorted(boards.items()))
    gone = [external_id for external_id, board in boards.items() if board is None]
    if gone:
        await session.execute(delete(ChannelKeyboard).where(
            ChannelKeyboard.channel == channel, ChannelKeyboard.external_id.in_(gone)))
    when = now or utcnow()
    rows = [{"channel": channel, "external_id": external_id, "updated_at": when,
             "board": orjson.dumps(board).decode()}
            for external_id, board in boards.items() if board is not None]
    if rows:
        await session.execute(_UPSERT, rows)


async def erase_resident(session: AsyncSession, resident_id: int) -> None:
    """Forget the keyboards shown to a resident's accounts (before the accounts go)."""
    accounts = (await session.execute(
        select(ChannelIdentity.channel, ChannelIdentity.external_id)
        .where(ChannelIdentity.resident_id == resident_id))).all()
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in accounts:
        by_channel.setdefault(channel, []).append(external_id)
    for channel, ids in by_channel.items():
        await session.execute(delete(ChannelKeyboard).where(
            ChannelKeyboard.channel == channel, ChannelKeyboard.external_id.in_(ids)))
