"""The loop that hands stored callbacks to the bot: claimed with a lease, one person in order.

The webhook wakes it after each stored callback; it also looks every `poll` seconds, for rows
another process stored, rows waiting out a retry, and rows whose process died holding them.
Rows left from before a restart are simply pending (or their lease runs out) and are handled
by whichever process looks first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import inbox
from services.db import utcnow, write_turn

log = logging.getLogger(__name__)

Handle = Callable[[inbox.Claimed], Awaitable[None]]
# Work for a whole batch inside the claim's transaction (one query instead of one per row).
Prepare = Callable[[AsyncSession, list[inbox.Claimed]], Awaitable[None]]
# Work after a batch, in the transaction that marks it handled (what the batch left to store).
Finish = Callable[[AsyncSession], Awaitable[None]]


class Processor:
    """Claims up to `concurrency` rows (one per sender) at a time and handles them together."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], handle: Handle, *,
                 channel: str, worker: str, concurrency: int = 16,
                 lease: timedelta = timedelta(seconds=60), poll: float = 1.0,
                 max_attempts: int = 5, retry_base: float = 2.0,
                 prepare: Prepare | None = None, finish: Finish | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.handle = handle
        self.prepare = prepare
        self.finish = finish
        self.channel = channel
        self.worker = worker
        self.concurrency = concurrency
        self.lease = lease
        self.poll = poll
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.handled = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Handle rows until none is ready now; how many were handled (tests, benchmarks)."""
        total = 0
        while (count := await self.batch()) > 0:
            total += count
        return total

    async def run(self, stop: asyncio.Event) -> None:
        log.info("Viber callbacks: processor %s started", self.worker)
        while not stop.is_set():
            try:
                count = await self.batch()
            except Exception:
                log.exception("Viber callbacks: a batch failed; trying again shortly")
                count = 0
            if count:
                continue
            self._wake.clear()
            waits = [asyncio.ensure_future(self._wake.wait()),
                     asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(waits, timeout=self.poll,
                                            return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        log.info("Viber callbacks: processor %s stopped", self.worker)

    async def batch(self) -> int:
        async with self.sessionmaker() as session, write_turn(session):
            rows = await inbox.claim(session, self.channel, self.worker,
                                     limit=self.concurrency, lease=self.lease)
            if rows and self.prepare is not None:
                await self.prepare(session, rows)
            await session.commit()
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._one(row) for row in rows))
        done = [row.id for row, error in zip(rows, outcomes, strict=True) if error is None]
        async with self.sessionmaker() as session, write_turn(session):
            await inbox.mark_done(session, done, self.worker)
            for row, error in zip(rows, outcomes, strict=True):
                if error is not None:
                    await inbox.give_back(session, row.id, self.worker, error,
                                          retry_at=self._retry_at(row))
            if self.finish is not None:
                await self.finish(session)
            await session.commit()
        self.handled += len(done)
        return len(rows)

    async def _one(self, row: inbox.Claimed) -> str | None:
        """None when handled; the error otherwise (the row is retried, then given up)."""
        try:
            await self.handle(row)
        except Exception as exc:
            log.exception("Viber callback %s failed (attempt %d)", row.id, row.attempts)
            return f"{type(exc).__name__}: {exc}"
        return None

    def _retry_at(self, row: inbox.Claimed) -> datetime | None:
        if row.attempts >= self.max_attempts:
            log.error("Viber callback %s given up after %d attempts", row.id, row.attempts)
            return None
        return utcnow() + timedelta(seconds=self.retry_base * 2 ** (row.attempts - 1))
