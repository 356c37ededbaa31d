"""The Telegram side of the persistent outbox: claim rows, send them within the limits, record.

Delivery guarantees (honest version): a row is sent only while this worker holds its lease, and
results are written back in small batches every `record_interval` seconds (20 ms by default, or
sooner after 100 results). A process killed with SIGKILL therefore re-sends at most the rows that
Telegram had accepted but whose result was not yet committed: the requests in flight plus about
`record_interval` worth of sends (rate × 0.02 s plus the commit time: ~1 message at 25/s, a few
dozen at 1000/s). Every other row claimed by the dead process is sent exactly once, by whoever
claims it after its lease runs out. Exactly-once across a crash is impossible without an
idempotency key on the messenger's side, which the Bot API does not offer.

Limits: a global token bucket (`rate_per_second`, burst 1% of that) served urgent-first, and at
least `per_chat_interval` seconds between two messages to one chat, shared by every sender of
the same bot in this process; a 429 pauses all of them for `retry_after`. Another process learns
of a 429 from its own next call. Run several processes only with rates that add up to the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import Sequence
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
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import outbox
from services.db import utcnow
from services.models import OutboxStatus, Priority
from services.outbox import Claimed

if TYPE_CHECKING:
    from bot.config import Settings
from bot.scheduler import worker_name

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CAPTION_MAX = 1024


def build_markup(buttons: list[list[dict[str, Any]]] | None) -> InlineKeyboardMarkup | None:
    """Transport-neutral button rows → an inline keyboard (url or callback buttons)."""
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
        if line:
            rows.append(line)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class Throttle:
    """The global pace and the per-chat spacing of one bot, shared by its senders in a process.

    A token bucket refilled at `rate` with a burst of 1% of a second's worth: after an event-loop
    stall at most that burst goes out at once, so even a fixed one-second window on the server
    never sees more than rate × 1.01 (+1). Waiters are served by priority (urgent first), then
    FIFO.
    """

    def __init__(self, rate_per_second: float, per_chat_interval: float) -> None:
        self.configure(rate_per_second, per_chat_interval)
        self.paused_until = 0.0
        self._tokens = 0.0
        self._stamp = time.monotonic()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._chat_next: dict[str, float] = {}

    def configure(self, rate_per_second: float, per_chat_interval: float) -> None:
        self.rate = max(rate_per_second, 0.001)
        # A quarter token of slack keeps what accrues while the timer wakes us late.
        self.burst = max(1.0, self.rate * 0.01) + 0.25
        self.per_chat_interval = per_chat_interval

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
                self._tokens, self._stamp = 0.0, time.monotonic()
                continue
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            while self._waiters and self._tokens >= 1.0:
                _, _, future = heapq.heappop(self._waiters)
                if not future.done():
                    future.set_result(None)
                    self._tokens -= 1.0
            if self._waiters:
                await asyncio.sleep(max((1.0 - self._tokens) / self.rate, 0.001))

    def paused(self) -> bool:
        return time.monotonic() < self.paused_until

    def pause(self, seconds: float) -> None:
        """A 429: nobody sends until `seconds` from now."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


# One throttle per bot token and event loop (futures and tasks belong to a loop).
_throttles: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Throttle]] = (
    weakref.WeakKeyDictionary()
)


def throttle_for(bot: Bot, rate_per_second: float, per_chat_interval: float) -> Throttle:
    by_token = _throttles.setdefault(asyncio.get_running_loop(), {})
    throttle = by_token.get(bot.token)
    if throttle is None:
        throttle = by_token[bot.token] = Throttle(rate_per_second, per_chat_interval)
    else:
        throttle.configure(rate_per_second, per_chat_interval)
    return throttle


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
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
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
        self.throttle = throttle_for(self.bot, self.rate_per_second, self.per_chat_interval)
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
        markup = build_markup(row.buttons)
        extra: dict[str, Any] = {}
        if self.allow_paid_broadcast and row.priority >= Priority.BULK:
            extra["allow_paid_broadcast"] = True
        text = row.text
        if row.photo or row.document:
            caption = text if len(text) <= CAPTION_MAX else None
            if row.photo:
                await self.bot.send_photo(
                    chat_id, photo=row.photo, caption=caption, parse_mode="HTML",
                    reply_markup=markup if caption is not None else None, **extra,
                )
            else:
                await self.bot.send_document(
                    chat_id, document=row.document or "", caption=caption, parse_mode="HTML",
                    reply_markup=markup if caption is not None else None, **extra,
                )
            if caption is not None:
                return
        await self.bot.send_message(
            chat_id, text, parse_mode="HTML", reply_markup=markup, **extra
        )

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
) -> TelegramSender:
    """A sender configured by the delivery_* settings."""
    return TelegramSender(
        bot,
        sessionmaker,
        worker_id=worker_id or worker_name(),
        rate_per_second=settings.delivery_rate_per_second,
        per_chat_interval=settings.delivery_per_chat_interval,
        max_attempts=settings.delivery_max_attempts,
        allow_paid_broadcast=settings.allow_paid_broadcast,
    )


def start_delivery(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    *,
    worker_id: str | None = None,
) -> asyncio.Task[None]:
    """Run the outbox sender as a task beside polling/webhook; set `stop` and await it to end."""
    sender = sender_from_settings(bot, sessionmaker, settings, worker_id=worker_id)
    return asyncio.create_task(sender.run(stop), name="outbox-sender")
