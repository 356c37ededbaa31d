"""The outbox worker loop, written once for every channel: claim rows, send them within the
limits through the channel's Transport, record the outcomes.

Delivery guarantees (honest version): a row is sent only while this worker holds its lease, and
results are written back in small batches every `record_interval` seconds (20 ms by default, or
sooner after 100 results). A process killed with SIGKILL therefore re-sends at most the rows that
the messenger had accepted but whose result was not yet committed: the requests in flight plus
about `record_interval` worth of sends (rate × 0.02 s plus the commit time: ~1 message at 25/s, a
few dozen at 1000/s). Every other row claimed by the dead process is sent exactly once, by
whoever claims it after its lease runs out. Exactly-once across a crash is impossible without an
idempotency key on the messenger's side, which the Bot API does not offer.

Limits: one token bucket per channel account (the transport's `rate_per_second`, burst 1% of
that), served urgent-first within a process, and at least `per_chat_interval` seconds between
two messages to one chat (kept per process). Every process may run a sender with the whole
rate configured; they share it through Redis or the database (bot/outbox/budget.py). A
whole-account RetryLater pauses this process and is published to the others (the Redis pause
key, or the sender's row) before the worker goes on; a transport that can publish it sooner
does (bot/outbox/throttle.py). Another process starts no send after it learned of the pause
until the pause has passed; it learns with its next token from Redis, or within 0.25 s from the
database (a send it starts before then may earn a RetryLater of its own, which pauses it too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Rejected, RetryLater, TransientError, Transport, Unreachable
from bot.outbox.presses import Presses, feature_presses
from bot.outbox.throttle import Throttle, sending_with, throttle_for
from services import outbox
from services.db import utcnow
from services.models import OutboxStatus
from services.outbox import Claimed

__all__ = ["Sender", "Throttle", "throttle_for"]

log = logging.getLogger(__name__)


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

    def prepend(self, earlier: _Results) -> None:
        """Put outcomes whose write failed back in front, for the next flush."""
        self.sent[:0] = earlier.sent
        self.blocked[:0] = earlier.blocked
        self.failed[:0] = earlier.failed
        self.retry[:0] = earlier.retry
        self.deferred[:0] = earlier.deferred


class Sender:
    """Sends one channel's outbox rows through its Transport; any number may run against one
    database (in one process or many)."""

    def __init__(
        self,
        transport: Transport,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        worker_id: str,
        max_attempts: int = 5,
        batch_size: int | None = None,
        lease_seconds: float = 60.0,
        record_interval: float = 0.02,
        poll_interval: float = 0.25,
        retry_base_seconds: float = 2.0,
        drain_horizon_seconds: float = 10.0,
        redis: Any | None = None,
        key_prefix: str = "hromada",
        presses: Presses | None = None,
    ) -> None:
        self.transport = transport
        self.presses = presses or feature_presses()
        self.channel = transport.channel
        self.sessionmaker = sessionmaker
        # With Redis the rate and pauses are shared through it, keys under `key_prefix`;
        # without, through this process's row among the senders in the database.
        self.redis = redis
        self.key_prefix = key_prefix
        self.worker_id = worker_id
        self.max_attempts = max_attempts
        # Small claims, often: building a claim's rows runs on the event loop, and a long one
        # would stall sending. One to two claims are kept in hand.
        self.batch_size = batch_size or max(10, min(200, int(transport.rate_per_second / 5)))
        self.lease_seconds = lease_seconds
        self.record_interval = record_interval
        self.poll_interval = poll_interval
        self.retry_base_seconds = retry_base_seconds
        self.drain_horizon_seconds = drain_horizon_seconds
        self._results = _Results()
        self._flush_lock = asyncio.Lock()
        # Claims and result writes take turns: on SQLite two writers of one process would
        # otherwise meet in the busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = asyncio.Lock()
        self._sent_count = 0

    @property
    def rate_per_second(self) -> float:
        return self.transport.rate_per_second

    @property
    def per_chat_interval(self) -> float:
        return self.transport.per_chat_interval

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
                log.exception("outbox sender %s (%s) failed; restarting in 1 s",
                              self.worker_id, self.channel)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    # ---- the loop --------------------------------------------------------------------------
    async def _work(self, stop: asyncio.Event, *, drain: bool) -> int:
        self._sent_count = 0
        # Positional, as the tests' wrapper of `throttle_for` takes it.
        self.throttle = throttle_for(self.transport, self.rate_per_second,
                                     self.per_chat_interval, self.sessionmaker, self.redis,
                                     self.key_prefix)
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
            due = await outbox.next_due(session, self.channel)
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
                session, self.worker_id, channel=self.channel, limit=limit,
                lease=timedelta(seconds=self.lease_seconds),
            )
            await session.commit()
        return [row if (buttons := self.presses.pack(row.buttons)) is row.buttons
                else replace(row, buttons=buttons) for row in rows]

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
                # A pause began while this send held a token: it must not start before the
                # pause ends (the token is spent; take a new one after the pause).
                continue
            if time.monotonic() >= deadline:
                # The lease is nearly over: give the row back untried rather than race a reclaim.
                self._results.deferred.append((row.id, 0.0))
                return
            # Outcomes go to `self._results` as it is after the send: a flush may swap it.
            try:
                with sending_with(throttle) as sending:
                    await self.transport.send(row)
            except RetryLater as exc:
                if not exc.whole_account:
                    self._results.deferred.append((row.id, exc.seconds))
                    break
                log.warning("%s asks to wait: pausing all its senders for %s s",
                            self.channel, exc.seconds)
                if sending.announced:  # the transport has told every process already
                    throttle.pause(exc.seconds)
                else:
                    await throttle.pause_everywhere(exc.seconds)
                continue
            except Unreachable as exc:
                self._results.blocked.append((row.id, row.chat_id))
                log.info("%s chat %s cannot be reached: %s", self.channel, row.chat_id, exc)
            except Rejected as exc:
                # Malformed or unknown chat: sending the same request again cannot succeed.
                self._results.failed.append((row.id, str(exc)))
            except Exception as exc:
                if not isinstance(exc, TransientError):
                    log.exception("%s transport failed on outbox row %s", self.channel, row.id)
                self._retry_or_fail(row, str(exc) or type(exc).__name__)
            else:
                self._results.sent.append(row.id)
                self._sent_count += 1
            break
        if len(self._results) >= 100:
            await self._flush()

    def _retry_or_fail(self, row: Claimed, error: str) -> None:
        if row.attempts >= self.max_attempts:
            self._results.failed.append((row.id, error))
        else:
            backoff = self.retry_base_seconds * 2 ** max(row.attempts - 1, 0)
            self._results.retry.append((row.id, backoff, error))

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
                self._results.prepend(results)
                raise

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
                    await outbox.mark_chat_blocked(session, self.channel, chat_id)
            for rid, error in results.failed:
                await outbox.mark_final(session, [rid], OutboxStatus.FAILED, error, worker=worker)
            for rid, delay, error in results.retry:
                await outbox.release(session, [rid], now + timedelta(seconds=delay), error,
                                     worker=worker)
            await _release_untried(session, results.deferred, worker, now)
            await session.commit()


async def _release_untried(
    session: AsyncSession, deferred: Sequence[tuple[int, float]], worker: str, now: datetime
) -> None:
    by_delay: dict[float, list[int]] = {}
    for rid, delay in deferred:
        by_delay.setdefault(round(max(delay, 0.0), 1), []).append(rid)
    for delay, ids in by_delay.items():
        await outbox.release(session, ids, now + timedelta(seconds=delay), worker=worker,
                             count_attempt=False)
