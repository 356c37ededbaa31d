"""The pace of one channel account in this process: send tokens by priority, per-chat spacing,
and the pause a RetryLater imposes (shared with the other processes through the budget).

The guarantee: once a whole-account RetryLater is received, no send of this process *starts*
until its time has passed; a transport that can tell before its own caller sees the error
(Telegram's session middleware) calls `announce_retry_later`, so the pause is published before
anything else of the process hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.budget import DatabaseShare, LocalBudget, RedisBucket
from services.models import Priority

log = logging.getLogger(__name__)


class Throttle:
    """One account's pace in this process: waiters served by priority (urgent first), then FIFO.

    Tokens come from its budget: `RedisBucket` when Redis is configured, otherwise
    `DatabaseShare` (this process's share of the rate) or, for a bare throttle, `LocalBudget`.
    The per-chat spacing is kept here, per process.
    """

    def __init__(self, rate_per_second: float, per_chat_interval: float) -> None:
        self.configure(rate_per_second, per_chat_interval)
        self.paused_until = 0.0
        self.budget: LocalBudget = LocalBudget(self)
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._chat_next: dict[str, float] = {}
        self._senders = 0
        self._membership = asyncio.Lock()

    def configure(self, rate_per_second: float, per_chat_interval: float) -> None:
        self.rate = max(rate_per_second, 0.001)
        self.per_chat_interval = per_chat_interval

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """While a sender runs: the first one in joins the account's budget, the last out leaves."""
        self._senders += 1
        try:
            async with self._membership:
                await self.budget.join()
            yield
        finally:
            self._senders -= 1
            if self._senders == 0:
                async with self._membership:
                    if self._senders == 0:
                        await self.budget.leave()

    def chat_free_at(self, chat_id: str) -> float:
        return max(self._chat_next.get(chat_id, 0.0), time.monotonic())

    def reserve_chat(self, chat_id: str) -> float:
        """Book the next slot for this chat; returns when it starts (monotonic seconds)."""
        slot = self.chat_free_at(chat_id)
        self._chat_next[chat_id] = slot + self.per_chat_interval
        if len(self._chat_next) > 50_000:  # forget chats whose slot is long past
            now = time.monotonic()
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return slot

    async def acquire(self, priority: int = Priority.NORMAL) -> None:
        """Wait for a send token."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._release_tokens())
        await future

    async def _release_tokens(self) -> None:
        while self._waiters:
            now = time.monotonic()
            if now < self.paused_until:
                await asyncio.sleep(self.paused_until - now)
                self.budget.after_pause()
                continue
            try:
                granted, wait = await self.budget.take(len(self._waiters))
            except Exception:  # no budget, no sending: better late than over the limit
                log.exception("no send tokens for now; trying again in 1 s")
                granted, wait = 0, 1.0
            while self._waiters and granted:
                _, _, future = heapq.heappop(self._waiters)
                if not future.done():
                    future.set_result(None)
                    granted -= 1
            self.budget.give_back(granted)
            if self._waiters:
                await asyncio.sleep(max(wait, 0.001))

    def paused(self) -> bool:
        return time.monotonic() < self.paused_until

    def hold(self, seconds: float) -> None:
        """Nobody here sends until `seconds` from now (a pause learned or received)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def pause(self, seconds: float) -> None:
        """A whole-account RetryLater: nobody in this process sends until `seconds` from now."""
        self.hold(seconds)

    async def pause_everywhere(self, seconds: float) -> None:
        """A whole-account RetryLater: this process pauses at once, then tells the others."""
        self.hold(seconds)
        try:
            await self.budget.publish_pause(seconds)
        except Exception:  # they will hear of it from their own next call
            log.warning("could not share a pause with the other processes", exc_info=True)


# One throttle per account and event loop (futures and tasks belong to a loop).
_throttles: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Throttle]] = (
    weakref.WeakKeyDictionary()
)


def account_key(transport: Any) -> str:
    """`<channel>:<account>`: whose rate a transport spends (`account` is optional: a
    transport without one is the channel's only account)."""
    account = getattr(transport, "account", "")
    return f"{transport.channel}:{account}" if account else str(transport.channel)


def throttle_for(transport: Any, rate_per_second: float, per_chat_interval: float,
                 sessionmaker: async_sessionmaker[AsyncSession] | None = None,
                 redis: Any | None = None, key_prefix: str = "hromada") -> Throttle:
    """This loop's throttle of the transport's account; the first caller decides where it
    shares its budget (Redis if given, else the database if given, else nowhere)."""
    key = account_key(transport)
    by_key = _throttles.setdefault(asyncio.get_running_loop(), {})
    throttle = by_key.get(key)
    if throttle is None:
        throttle = by_key[key] = Throttle(rate_per_second, per_chat_interval)
        if redis is not None:
            throttle.budget = RedisBucket(throttle, redis, f"{key_prefix}:delivery:{key}")
        elif sessionmaker is not None:
            throttle.budget = DatabaseShare(throttle, sessionmaker, key)
    else:
        throttle.configure(rate_per_second, per_chat_interval)
    return throttle


@dataclass(slots=True)
class Sending:
    """The outbox send under way in this task: its throttle, and whether a RetryLater it
    earned has been published already."""

    throttle: Throttle
    announced: bool = False


_sending: ContextVar[Sending | None] = ContextVar("outbox_sending", default=None)


@contextlib.contextmanager
def sending_with(throttle: Throttle) -> Iterator[Sending]:
    """Mark the code inside as one outbox send of `throttle` (for `announce_retry_later`)."""
    current = Sending(throttle)
    token = _sending.set(current)
    try:
        yield current
    finally:
        _sending.reset(token)


async def announce_retry_later(seconds: float) -> None:
    """For a transport: the messenger just said "wait `seconds`" for the whole account; pause
    every sender of it now, before the error reaches anybody (no-op outside an outbox send)."""
    current = _sending.get()
    if current is not None and not current.announced:
        current.announced = True
        await current.throttle.pause_everywhere(seconds)
