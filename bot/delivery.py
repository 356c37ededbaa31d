"""The Telegram side of the persistent outbox: claim rows, send them within the limits, record.

Delivery guarantees (honest version): a row is sent only while this worker holds its lease, and
results are written back in small batches every `record_interval` seconds (20 ms by default, or
sooner after 100 results). A process killed with SIGKILL therefore re-sends at most the rows that
Telegram had accepted but whose result was not yet committed: the requests in flight plus about
`record_interval` worth of sends (rate × 0.02 s plus the commit time: ~1 message at 25/s, a few
dozen at 1000/s). Every other row claimed by the dead process is sent exactly once, by whoever
claims it after its lease runs out. Exactly-once across a crash is impossible without an
idempotency key on the messenger's side, which the Bot API does not offer.

Limits: one token bucket per bot (`rate_per_second`, burst 1% of that), served urgent-first
within a process, and at least `per_chat_interval` seconds between two messages to one chat
(kept per process). Every process may run a sender with the bot's whole rate configured; they
share it:
- with Redis (`redis=`, i.e. `REDIS_URL`), they take tokens from one bucket in Redis, atomically
  (a Lua script on Redis's clock; keys `<key_prefix>:delivery:<bot id>:bucket|pause`);
- without it, each sends at rate / N, N being the live senders counted from their leased rows
  in `outbox_senders` (`DatabaseShare`), even while the others have nothing to send; a
  newcomer starts only once the others have slowed down for it, so the sum never exceeds the
  rate, and a stalled process stops before its lease runs out and the others speed up.
A 429 pauses this process before any of its code sees the error, and is published (the Redis
pause key, or the sender's row) before the call returns. Another process starts no send after
it learned of the pause until `retry_after` (counted from the 429) has passed; it learns with
its next token from Redis, or within 0.25 s from the database (a send it starts before then
may earn a 429 of its own, which pauses it at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import outbox
from services.db import utcnow, write_turn
from services.models import OutboxStatus, Priority
from services.outbox import Claimed

if TYPE_CHECKING:
    from bot.config import Settings
from bot.scheduler import worker_name
from bot.stored_media import StoredMedia
from handlers.kit.render_aiogram import LinkBuilder, telegram_links
from handlers.kit.screen import DeepLink

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CAPTION_MAX = 1024


def build_markup(buttons: list[list[dict[str, Any]]] | None,
                 links: LinkBuilder | None = None) -> InlineKeyboardMarkup | None:
    """Transport-neutral button rows → an inline keyboard (url, callback or deep-link
    buttons; a `link` is a `/start` payload such as `poll_12`, made a URL by `links`)."""
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for row in buttons:
        line = []
        for spec in row:
            if spec.get("url"):
                line.append(InlineKeyboardButton(text=spec["text"], url=spec["url"]))
            elif spec.get("callback"):
                line.append(InlineKeyboardButton(text=spec["text"], callback_data=spec["callback"]))
            elif spec.get("link") and links is not None:
                line.append(InlineKeyboardButton(text=spec["text"],
                                                 url=links(DeepLink(spec["link"]))))
        if line:
            rows.append(line)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class LocalBudget:
    """Tokens from this process's own bucket, refilled at `rate / peers` (alone: the rate).

    The burst is 1% of a second's worth: after an event-loop stall at most that goes out at
    once, so even a fixed one-second window on the server never sees more than rate × 1.01 (+1).
    """

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self.peers = 1
        self._tokens = 0.0
        self._stamp = time.monotonic()

    async def join(self) -> None:
        """A sender of this process starts (nothing to do if the budget is in use already)."""

    async def leave(self) -> None:
        """The last sender of this process stopped."""

    async def take(self, want: int) -> tuple[int, float]:
        """Up to `want` tokens now; and if that is fewer, seconds until the next one."""
        now = time.monotonic()
        rate = self.throttle.rate / self.peers
        # A quarter token of slack keeps what accrues while the timer wakes us late.
        burst = max(1.0, rate * 0.01) + 0.25
        self._tokens = min(burst, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        granted = min(want, int(self._tokens))
        self._tokens -= granted
        return granted, max(1.0 - self._tokens, 0.0) / rate

    def give_back(self, tokens: int) -> None:
        self._tokens += tokens

    def after_pause(self) -> None:
        """Nothing accrues during a pause."""
        self._tokens, self._stamp = 0.0, time.monotonic()

    async def publish_pause(self, seconds: float) -> None:
        """Tell the other processes of a 429 (nobody to tell here)."""


class DatabaseShare(LocalBudget):
    """Without Redis: this process sends at rate / (live senders of the bot, from the database).

    Each process keeps a row with a lease renewed every `heartbeat` s and looks at the others
    every `look` s. It sends only while every live sender paces for at least as many senders
    as are alive: a newcomer waits until the others have slowed down for it, and a process
    whose lease ran out (stalled longer than `ttl`) stops until it has joined again. A 429 is
    written to the row; the others learn of it within `look` s.
    """

    def __init__(self, throttle: Throttle, sessionmaker: async_sessionmaker[AsyncSession],
                 bot: str, *, heartbeat: float = 1.0, ttl: float = 5.0,
                 look: float = 0.25) -> None:
        super().__init__(throttle)
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.name = f"{worker_name()}:{uuid.uuid4().hex[:8]}"
        self.heartbeat, self.ttl, self.look = heartbeat, ttl, look
        self._open = False
        self._valid_until = float("-inf")  # our lease, as far as we may count on it
        self._joined_at = float("-inf")
        self._watcher: asyncio.Task[None] | None = None
        self._leaving = asyncio.Event()

    async def join(self) -> None:
        if self._watcher is None:
            self._leaving.clear()
            await self._join()
            self._watcher = asyncio.create_task(self._watch(), name="outbox-sender-peers")

    async def leave(self) -> None:
        self._open, self._valid_until = False, float("-inf")
        if self._watcher is not None:
            # Ask the watcher to end between two looks: cancelled inside a database session,
            # it would leave a connection for the garbage collector to roll back.
            self._leaving.set()
            _done, overrun = await asyncio.wait({self._watcher}, timeout=self.ttl)
            for task in overrun:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        try:
            async with self.sessionmaker() as session, write_turn(session):
                await outbox.leave_senders(session, self.name)
                await session.commit()
        except Exception:  # the row runs out by itself; the others just wait a little longer
            log.warning("could not sign outbox sender %s off", self.name, exc_info=True)

    async def take(self, want: int) -> tuple[int, float]:
        if not self._open or time.monotonic() >= self._valid_until:
            return 0, self.look
        return await super().take(want)

    async def publish_pause(self, seconds: float) -> None:
        until = utcnow() + timedelta(seconds=seconds)  # from now, not from when the write is done
        async with self.sessionmaker() as session, write_turn(session):
            await outbox.pause_senders(session, self.name, until)
            await session.commit()

    async def _join(self) -> None:
        started = time.monotonic()
        async with self.sessionmaker() as session, write_turn(session):
            live = await outbox.join_senders(session, self.bot, self.name,
                                             lease=timedelta(seconds=self.ttl))
            if live > self.peers:
                self.peers = live  # slow down before anybody can read that we did
            await outbox.set_sender_peers(session, self.name, live)
            state = await outbox.sender_peers(session, self.bot)
            await session.commit()
        self.peers = live
        self._joined_at = started
        self._valid_until = started + self.ttl - self.heartbeat
        self._apply(state)

    def _apply(self, state: outbox.SenderPeers) -> None:
        self._open = 0 < state.live <= state.fewest_peers
        if state.paused_until is not None:
            # Held a little longer: the end was set on another process's (machine's) clock.
            self.throttle.hold((state.paused_until - utcnow()).total_seconds() + 0.05)

    async def _watch(self) -> None:
        while not self._leaving.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._leaving.wait(), self.look)
            if self._leaving.is_set():
                return
            try:
                if time.monotonic() - self._joined_at >= self.heartbeat:
                    await self._join()
                    continue
                async with self.sessionmaker() as session:
                    state = await outbox.sender_peers(session, self.bot)
                if state.live != self.peers:  # somebody came or went: count again
                    self._open = self._open and state.live <= state.fewest_peers
                    await self._join()
                else:
                    self._apply(state)
            except Exception:  # sending stops by itself once our lease runs out
                log.warning("outbox sender %s could not reach its peers", self.name,
                            exc_info=True)


# A token bucket in Redis shared by every process of the bot (times are Redis's own clock).
# KEYS: bucket, pause; ARGV: rate, burst, tokens wanted. Returns granted, wait s, paused?
_TAKE_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < pause then return {0, tostring(pause - now), 1} end
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil or stamp == nil then tokens, stamp = burst, now end
if pause > stamp then tokens, stamp = 0, pause end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(1000 * (burst / rate + 60)))
return {granted, tostring(math.max(1 - tokens, 0) / rate), 0}
"""
# KEYS: pause; ARGV: seconds. Moves the shared pause end later, never earlier.
_PAUSE_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(1000 * tonumber(ARGV[1])) + 1000)
end
return 1
"""


class RedisBucket(LocalBudget):
    """With Redis: one token bucket and one pause end per bot, taken atomically by a script."""

    def __init__(self, throttle: Throttle, redis: Any, key: str) -> None:
        super().__init__(throttle)
        self.keys = [f"{key}:bucket", f"{key}:pause"]
        self._take = redis.register_script(_TAKE_LUA)
        self._pause = redis.register_script(_PAUSE_LUA)

    async def take(self, want: int) -> tuple[int, float]:
        throttle = self.throttle
        burst = max(1.0, throttle.rate * 0.01) + 0.25
        granted, wait, paused = await self._take(keys=self.keys,
                                                 args=[throttle.rate, burst, want])
        if int(paused):
            throttle.hold(float(wait))
        return int(granted), float(wait)

    def give_back(self, tokens: int) -> None:
        """Tokens taken from Redis for waiters that gave up are lost: a little under the rate."""

    def after_pause(self) -> None:
        """The script empties the shared bucket over a pause."""

    async def publish_pause(self, seconds: float) -> None:
        await self._pause(keys=self.keys[1:], args=[seconds])


class Throttle:
    """The pace of one bot in this process: waiters served by priority (urgent first), then FIFO.

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
        """While a sender runs: the first one in joins the bot's budget, the last one out leaves."""
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
        """A 429: nobody in this process sends until `seconds` from now."""
        self.hold(seconds)

    async def pause_everywhere(self, seconds: float) -> None:
        """A 429: this process pauses at once, then tells the others."""
        self.hold(seconds)
        try:
            await self.budget.publish_pause(seconds)
        except Exception:  # they will hear of it from their own next call
            log.warning("could not share a 429 pause with the other processes", exc_info=True)


# One throttle per bot token and event loop (futures and tasks belong to a loop).
_throttles: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Throttle]] = (
    weakref.WeakKeyDictionary()
)


def throttle_for(bot: Bot, rate_per_second: float, per_chat_interval: float,
                 sessionmaker: async_sessionmaker[AsyncSession] | None = None,
                 redis: Any | None = None, key_prefix: str = "hromada") -> Throttle:
    """This loop's throttle of `bot`; the first caller decides where it shares its budget."""
    by_token = _throttles.setdefault(asyncio.get_running_loop(), {})
    throttle = by_token.get(bot.token)
    if throttle is None:
        throttle = by_token[bot.token] = Throttle(rate_per_second, per_chat_interval)
        if redis is not None:
            throttle.budget = RedisBucket(throttle, redis, f"{key_prefix}:delivery:{bot.id}")
        elif sessionmaker is not None:
            throttle.budget = DatabaseShare(throttle, sessionmaker, f"{CHANNEL}:{bot.id}")
    else:
        throttle.configure(rate_per_second, per_chat_interval)
    return throttle


# The throttle of the outbox send under way in this task, for `_share_retry_after`.
_sending_for: ContextVar[Throttle | None] = ContextVar("outbox_sending_for", default=None)
_sessions_sharing_429: weakref.WeakSet[Any] = weakref.WeakSet()


async def _share_retry_after(make_request: Any, bot: Bot, method: Any) -> Any:
    """A session middleware: an outbox send's 429 pauses every process before anyone sees it."""
    try:
        return await make_request(bot, method)
    except TelegramRetryAfter as exc:
        throttle = _sending_for.get()
        if throttle is not None:
            await throttle.pause_everywhere(float(exc.retry_after))
        raise


def _share_429s_of(bot: Bot) -> None:
    if bot.session not in _sessions_sharing_429:
        bot.session.middleware(_share_retry_after)
        _sessions_sharing_429.add(bot.session)


@dataclass
class _Results:
    """Outcomes waiting to be written back; flushed in one short transaction."""

    sent: list[int] = field(default_factory=list)
    blocked: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retry: list[tuple[int, float, str]] = field(default_factory=list)  # id, delay, error
    deferred: list[tuple[int, float]] = field(default_factory=list)  # id, delay (not an attempt)

    def __len__(self) -> int:
        return (len(self.sent) + len(self.blocked) + len(self.failed) + len(self.retry)
                + len(self.deferred))


class TelegramSender:
    """Sends outbox rows through an aiogram Bot; any number may run against one database."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        worker_id: str,
        rate_per_second: float = 25,
        per_chat_interval: float = 1.0,
        max_attempts: int = 5,
        batch_size: int | None = None,
        lease_seconds: float = 60.0,
        record_interval: float = 0.02,
        poll_interval: float = 0.25,
        retry_base_seconds: float = 2.0,
        drain_horizon_seconds: float = 10.0,
        allow_paid_broadcast: bool = False,
        redis: Any | None = None,
        key_prefix: str = "hromada",
        bot_username: str = "",
    ) -> None:
        self.bot = bot
        self.bot_username = bot_username  # for deep-link buttons; asked of Telegram if unset
        self._links: LinkBuilder | None = None
        self.stored_media = StoredMedia(sessionmaker, CHANNEL)
        self.sessionmaker = sessionmaker
        # With Redis the rate and 429 pauses are shared through it, keys under `key_prefix`;
        # without, through this process's row among the senders in the database.
        self.redis = redis
        self.key_prefix = key_prefix
        _share_429s_of(bot)
        self.worker_id = worker_id
        self.max_attempts = max_attempts
        # Small claims, often: building a claim's rows runs on the event loop, and a long one
        # would stall sending. One to two claims are kept in hand.
        self.batch_size = batch_size or max(10, min(200, int(rate_per_second / 5)))
        self.lease_seconds = lease_seconds
        self.record_interval = record_interval
        self.poll_interval = poll_interval
        self.retry_base_seconds = retry_base_seconds
        self.drain_horizon_seconds = drain_horizon_seconds
        self.allow_paid_broadcast = allow_paid_broadcast
        self.rate_per_second = rate_per_second
        self.per_chat_interval = per_chat_interval
        self._results = _Results()
        self._flush_lock = asyncio.Lock()
        # Claims and result writes take turns: on SQLite two writers of one process would
        # otherwise meet in the busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = asyncio.Lock()
        self._sent_count = 0

    # ---- public ----------------------------------------------------------------------------
    async def drain(self) -> int:
        """Send everything ready now (and retries due within the horizon); return how many sent."""
        return await self._work(asyncio.Event(), drain=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; survives database or network hiccups."""
        while not stop.is_set():
            try:
                await self._work(stop, drain=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sender %s failed; restarting in 1 s", self.worker_id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    # ---- the loop --------------------------------------------------------------------------
    async def _work(self, stop: asyncio.Event, *, drain: bool) -> int:
        self._sent_count = 0
        self.throttle = throttle_for(self.bot, self.rate_per_second, self.per_chat_interval,
                                     self.sessionmaker, self.redis, self.key_prefix)
        async with self.throttle.sending():
            return await self._send_batches(stop, drain)

    async def _send_batches(self, stop: asyncio.Event, drain: bool) -> int:
        inflight: set[asyncio.Task[None]] = set()
        # One event instead of asyncio.wait(inflight): that re-registers a callback on every
        # task in flight each time, which at 1000 messages/s costs more than the sending.
        progressed = asyncio.Event()

        def finished(task: asyncio.Task[None]) -> None:
            inflight.discard(task)
            progressed.set()

        async def until_progress(within: float | None = None) -> None:
            progressed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progressed.wait(), within)

        recorder = asyncio.create_task(self._record_loop())
        try:
            while not stop.is_set():
                # Keep between one and two batches in hand, so sending never waits for a claim.
                if len(inflight) > self.batch_size:
                    await until_progress()
                    continue
                rows = await self._claim(2 * self.batch_size - len(inflight))
                if rows:
                    deadline = time.monotonic() + self._safe_lease()
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row, deadline))
                        inflight.add(task)
                        task.add_done_callback(finished)
                    continue
                if inflight:
                    # Nothing more to claim now: look again after a while, not after every send.
                    look_again = time.monotonic() + self.poll_interval
                    while inflight and time.monotonic() < look_again and not stop.is_set():
                        await until_progress(look_again - time.monotonic())
                    continue
                await self._flush()
                wait = await self._idle_wait(drain)
                if wait is None:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        finally:
            if inflight:
                # Let sends already under way finish so their results get recorded.
                await asyncio.wait(inflight, timeout=30)
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
            await self._flush()
        return self._sent_count

    def _safe_lease(self) -> float:
        # Stop sending a claimed row well before its lease ends, so nobody else can have it.
        return self.lease_seconds - min(10.0, self.lease_seconds * 0.25)

    async def _idle_wait(self, drain: bool) -> float | None:
        """Seconds to sleep before the next claim; None ends a drain."""
        async with self.sessionmaker() as session:
            due = await outbox.next_due(session, CHANNEL)
        now = utcnow()
        if due is None:
            return None if drain else self.poll_interval
        delay = max((due - now).total_seconds(), 0.0)
        if drain:
            return None if delay > self.drain_horizon_seconds else max(delay, 0.02)
        return min(max(delay, 0.02), self.poll_interval)

    async def _claim(self, limit: int) -> list[Claimed]:
        if limit <= 0:
            return []
        async with self._write_lock, self.sessionmaker() as session:
            rows = await outbox.claim_batch(
                session, self.worker_id, channel=CHANNEL, limit=limit,
                lease=timedelta(seconds=self.lease_seconds),
            )
            await session.commit()
        return rows

    # ---- one row ---------------------------------------------------------------------------
    async def _deliver(self, row: Claimed, deadline: float) -> None:
        throttle = self.throttle
        _sending_for.set(throttle)  # this task's own context: its 429s pause every process
        while True:
            slot = throttle.chat_free_at(row.chat_id)
            if slot >= deadline:
                self._results.deferred.append((row.id, slot - time.monotonic()))
                return
            slot = throttle.reserve_chat(row.chat_id)
            delay = slot - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await throttle.acquire(row.priority)
            if throttle.paused():
                # A 429 arrived while this send held a token: it must not start before the
                # pause ends (the token is spent; take a new one after the pause).
                continue
            if time.monotonic() >= deadline:
                # The lease is nearly over: give the row back untried rather than race a reclaim.
                self._results.deferred.append((row.id, 0.0))
                return
            try:
                await self._send(row)
            except TelegramRetryAfter as exc:
                # `_share_retry_after` has told every process already.
                log.warning("429 from Telegram: pausing all senders for %s s", exc.retry_after)
                throttle.pause(float(exc.retry_after))
                continue
            except TelegramForbiddenError as exc:
                self._results.blocked.append((row.id, row.chat_id))
                log.info("chat %s blocked the bot: %s", row.chat_id, exc.message)
            except TelegramBadRequest as exc:
                # Malformed or unknown chat: sending the same request again cannot succeed.
                self._results.failed.append((row.id, f"400: {exc.message}"))
            except (TelegramAPIError, TelegramNetworkError, OSError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if row.attempts >= self.max_attempts:
                    self._results.failed.append((row.id, error))
                else:
                    backoff = self.retry_base_seconds * 2 ** max(row.attempts - 1, 0)
                    self._results.retry.append((row.id, backoff, error))
            else:
                self._results.sent.append(row.id)
                self._sent_count += 1
            if len(self._results) >= 100:
                await self._flush()
            return

    async def _send(self, row: Claimed) -> None:
        chat_id: int | str = int(row.chat_id) if row.chat_id.lstrip("-").isdigit() else row.chat_id
        markup = build_markup(row.buttons, await self._link_builder(row.buttons))
        extra: dict[str, Any] = {}
        if self.allow_paid_broadcast and row.priority >= Priority.BULK:
            extra["allow_paid_broadcast"] = True
        text = row.text
        if row.photo or row.document:
            caption = text if len(text) <= CAPTION_MAX else None
            sent = True
            if row.photo:
                sent = await self._send_photo(chat_id, row.photo, caption,
                                              markup if caption is not None else None, extra)
            else:
                await self.bot.send_document(
                    chat_id, document=row.document or "", caption=caption, parse_mode="HTML",
                    reply_markup=markup if caption is not None else None, **extra,
                )
            if caption is not None and sent:
                return
        await self.bot.send_message(
            chat_id, text, parse_mode="HTML", reply_markup=markup, **extra
        )

    async def _send_photo(self, chat_id: int | str, photo: str, caption: str | None,
                          markup: InlineKeyboardMarkup | None, extra: dict[str, Any]) -> bool:
        """A file id, or a stored picture (uploaded once); False: the picture is gone."""
        def send(file: str | InputFile) -> Any:
            return self.bot.send_photo(chat_id, photo=file, caption=caption, parse_mode="HTML",
                                       reply_markup=markup, **extra)

        if self.stored_media.handles(photo):
            return await self.stored_media.send(photo, send)
        await send(photo)
        return True

    async def _link_builder(self, buttons: list[list[dict[str, Any]]] | None
                            ) -> LinkBuilder | None:
        if not buttons or not any(spec.get("link") for row in buttons for spec in row):
            return None
        if self._links is None:
            self._links = telegram_links(self.bot_username or (await self.bot.me()).username
                                         or "")
        return self._links

    # ---- recording -------------------------------------------------------------------------
    async def _record_loop(self) -> None:
        while True:
            await asyncio.sleep(self.record_interval)
            if len(self._results):
                try:
                    await self._flush()
                except Exception:
                    log.exception("recording delivery results failed; will retry")

    async def _flush(self) -> None:
        async with self._flush_lock:
            results, self._results = self._results, _Results()
            if not len(results):
                return
            try:
                await self._write(results)
            except BaseException:
                # Keep the outcomes: they are written with the next flush.
                self._merge_back(results)
                raise

    def _merge_back(self, results: _Results) -> None:
        current = self._results
        current.sent[:0] = results.sent
        current.blocked[:0] = results.blocked
        current.failed[:0] = results.failed
        current.retry[:0] = results.retry
        current.deferred[:0] = results.deferred

    async def _write(self, results: _Results) -> None:
        now = utcnow()
        worker = self.worker_id
        async with self._write_lock, self.sessionmaker() as session:
            await outbox.mark_sent(session, results.sent, worker, now)
            if results.blocked:
                await outbox.mark_final(
                    session, [rid for rid, _ in results.blocked], OutboxStatus.BLOCKED,
                    "blocked by the user", worker=worker,
                )
                for chat_id in sorted({chat for _, chat in results.blocked}):
                    await outbox.mark_chat_blocked(session, CHANNEL, chat_id)
            for rid, error in results.failed:
                await outbox.mark_final(session, [rid], OutboxStatus.FAILED, error, worker=worker)
            for rid, delay, error in results.retry:
                await outbox.release(session, [rid], now + timedelta(seconds=delay), error,
                                     worker=worker)
            await _release_untried(session, results.deferred, worker, now)
            await session.commit()


async def _release_untried(
    session: AsyncSession, deferred: Sequence[tuple[int, float]], worker: str, now: Any
) -> None:
    by_delay: dict[float, list[int]] = {}
    for rid, delay in deferred:
        by_delay.setdefault(round(max(delay, 0.0), 1), []).append(rid)
    for delay, ids in by_delay.items():
        await outbox.release(session, ids, now + timedelta(seconds=delay), worker=worker,
                             count_attempt=False)


def sender_from_settings(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    worker_id: str | None = None,
    redis: Any | None = None,
    key_prefix: str = "hromada",
) -> TelegramSender:
    """A sender configured by the delivery_* settings, sharing the rate through `redis` if any."""
    return TelegramSender(
        bot,
        sessionmaker,
        worker_id=worker_id or worker_name(),
        redis=redis,
        key_prefix=key_prefix,
        rate_per_second=settings.delivery_rate_per_second,
        per_chat_interval=settings.delivery_per_chat_interval,
        max_attempts=settings.delivery_max_attempts,
        allow_paid_broadcast=settings.allow_paid_broadcast,
        bot_username=settings.bot_username or "",
    )


def start_delivery(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    *,
    worker_id: str | None = None,
    redis: Any | None = None,
    key_prefix: str = "hromada",
) -> asyncio.Task[None]:
    """Run the outbox sender as a task beside polling/webhook; set `stop` and await it to end."""
    sender = sender_from_settings(bot, sessionmaker, settings, worker_id=worker_id, redis=redis,
                                  key_prefix=key_prefix)
    return asyncio.create_task(sender.run(stop), name="outbox-sender")
