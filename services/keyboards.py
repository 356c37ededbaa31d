"""The keyboard each person was last shown, on a messenger that shows only the newest
message's (Viber): kept in the database so every process that sends to them (the one serving
the webhook, a sender that only delivers the outbox) puts the same one on a message that
comes without its own. Plain JSON-able dicts in and out; /forget erases them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import is_postgres, utcnow
from services.models import ChannelIdentity, ChannelKeyboard

Board = dict[str, Any]


async def boards_of(session: AsyncSession, channel: str, external_ids: Collection[str]
                    ) -> dict[str, Board | None]:
    """The stored keyboard of each of these accounts (None for those with none)."""
    found: dict[str, Board | None] = dict.fromkeys(external_ids)
    if not found:
        return found
    rows = await session.execute(
        select(ChannelKeyboard.external_id, ChannelKeyboard.board).where(
            ChannelKeyboard.channel == channel, ChannelKeyboard.external_id.in_(found)))
    for external_id, board in rows:
        try:
            loaded = json.loads(board)
        except ValueError:
            loaded = None
        found[external_id] = loaded if isinstance(loaded, dict) else None
    return found


async def save(session: AsyncSession, channel: str, boards: Mapping[str, Board | None], *,
               now: datetime | None = None) -> None:
    """Keep these keyboards (None: the account is shown none now); one statement each kind."""
    gone = [external_id for external_id, board in boards.items() if board is None]
    if gone:
        await session.execute(delete(ChannelKeyboard).where(
            ChannelKeyboard.channel == channel, ChannelKeyboard.external_id.in_(gone)))
    rows = [{"channel": channel, "external_id": external_id, "updated_at": now or utcnow(),
             "board": json.dumps(board, ensure_ascii=False, separators=(",", ":"))}
            for external_id, board in boards.items() if board is not None]
    if not rows:
        return
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(ChannelKeyboard)
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel", "external_id"],
        set_={"board": stmt.excluded.board, "updated_at": stmt.excluded.updated_at})
    await session.execute(stmt, rows)


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
