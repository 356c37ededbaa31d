"""The keyboard each Viber subscriber was last shown, kept for every process that sends.

Viber shows only the newest message's keyboard, so a message sent without buttons (a toast, a
notification) must carry the person's last keyboard again. Every process remembers the ones it
knows (bounded, least recently used forgotten first) and the database keeps them all
(services/keyboards.py), so a sender that only delivers the outbox puts on the keyboard the
webhook's process showed.

Writes are buffered: the webhook's processor stores a batch's keyboards in the transaction
that marks the batch handled and reads its writers' keyboards in the claim's (no query per
message); the outbox transport reads the receiver's before a row without buttons and stores
what it showed after the send.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.viber.aliases import CHANNEL
from services import keyboards
from services.db import write_turn

log = logging.getLogger(__name__)

Board = dict[str, Any]


class StoredKeyboards:
    """`get` / `set` for the outgoing side; `load`, `refresh` and `flush` tie it to the
    database (without a sessionmaker it is this process's memory alone)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession] | None = None,
                 size: int = 20_000) -> None:
        self.sessionmaker = sessionmaker
        self._size = size
        # A keyboard read from the database stays its JSON text until a message needs it.
        self._known: OrderedDict[str, Board | str | None] = OrderedDict()
        self._dirty: dict[str, Board | None] = {}

    def _remember(self, receiver: str, board: Board | str | None) -> None:
        self._known[receiver] = board
        self._known.move_to_end(receiver)
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    async def get(self, receiver: str) -> Board | None:
        if receiver in self._dirty:  # not stored yet
            return self._dirty[receiver]
        if receiver not in self._known:
            await self.refresh(receiver)
        if receiver not in self._known:
            return None
        self._known.move_to_end(receiver)
        board = self._known[receiver]
        if isinstance(board, str):
            board = self._known[receiver] = keyboards.parse_board(board)
        return board

    def set(self, receiver: str, board: Board | None) -> None:
        """What the person is shown now; stored at the next `flush`."""
        self._remember(receiver, board)
        self._dirty[receiver] = board

    async def load(self, session: AsyncSession, receivers: Collection[str]) -> None:
        """Read these people's keyboards as stored (another process may have shown them one
        since), in the caller's transaction; what this process has not stored yet wins."""
        wanted = [r for r in receivers if r not in self._dirty]
        if not wanted:
            return
        stored = await keyboards.stored_boards(session, CHANNEL, wanted)
        for receiver in wanted:
            if receiver not in self._dirty:
                self._remember(receiver, stored.get(receiver))

    async def refresh(self, receiver: str) -> None:
        """`load` of one person in a session of its own (a sender between two callbacks)."""
        if self.sessionmaker is None or receiver in self._dirty:
            return
        try:
            async with self.sessionmaker() as session:
                await self.load(session, [receiver])
        except SQLAlchemyError as exc:  # the one in memory (if any) is the best guess then
            log.warning("the stored Viber keyboard could not be read: %s", type(exc).__name__)

    async def flush(self, session: AsyncSession | None = None) -> None:
        """Store the keyboards set since the last flush: in `session` (the caller commits), or
        in a transaction of its own that never fails the caller (a message already went)."""
        if not self._dirty or self.sessionmaker is None:
            return
        pending, self._dirty = self._dirty, {}
        if session is not None:
            await keyboards.save(session, CHANNEL, pending)
            return
        try:
            async with self.sessionmaker() as own, write_turn(own):
                await keyboards.save(own, CHANNEL, pending)
                await own.commit()
        except SQLAlchemyError as exc:
            log.warning("Viber keyboards not stored (next time): %s", type(exc).__name__)
            for receiver, board in pending.items():
                self._dirty.setdefault(receiver, board)
