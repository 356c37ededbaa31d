"""Where a sender's send tokens come from, so several processes share one account's rate.

- `LocalBudget`: this process's own bucket at the whole rate (a bare throttle, tests);
- `DatabaseShare` (no Redis): each process sends at rate / N, N being the live senders of the
  account counted from their leased rows in `outbox_senders`, even while the others have
  nothing to send; a newcomer starts only once the others have slowed down for it, so the sum
  never exceeds the rate, and a stalled process stops before its lease runs out;
- `RedisBucket` (`REDIS_URL`): one token bucket and one pause end per account in Redis, taken
  atomically by a Lua script on Redis's own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import worker_name
from services import outbox
from services.db import utcnow, write_turn

log = logging.getLogger(__name__)


class Throttle(Protocol):
    """What a budget needs of the throttle it feeds (bot/outbox/throttle.Throttle)."""

    @property
    def rate(self) -> float: ...

    def hold(self, seconds: float) -> None:
        """Nobody of this process sends until `seconds` from now."""


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
    """Without Redis: this process sends at rate / (the account's live senders, from the DB).

    Each process keeps a row with a lease renewed every `heartbeat` s and looks at the others
    every `look` s. It sends only while every live sender paces for at least as many senders
    as are alive: a newcomer waits until the others have slowed down for it, and a process
    whose lease ran out (stalled longer than `ttl`) stops until it has joined again. A 429 is
    written to the row; the others learn of it within `look` s.
    """

    def __init__(self, throttle: Throttle, sessionmaker: async_sessionmaker[AsyncSession],
                 account: str, *, heartbeat: float = 1.0, ttl: float = 5.0,
                 look: float = 0.25) -> None:
        super().__init__(throttle)
        self.sessionmaker = sessionmaker
        self.account = account
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
            live = await outbox.join_senders(session, self.account, self.name,
                                             lease=timedelta(seconds=self.ttl))
            if live > self.peers:
                self.peers = live  # slow down before anybody can read that we did
            await outbox.set_sender_peers(session, self.name, live)
            state = await outbox.sender_peers(session, self.account)
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
                    state = await outbox.sender_peers(session, self.account)
                if state.live != self.peers:  # somebody came or went: count again
                    self._open = self._open and state.live <= state.fewest_peers
                    await self._join()
                else:
                    self._apply(state)
            except Exception:  # sending stops by itself once our lease runs out
                log.warning("outbox sender %s could not reach its peers", self.name,
                            exc_info=True)


# A token bucket in Redis shared by every process of the account (times are Redis's own clock).
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
    """With Redis: one token bucket and one pause end per account, taken atomically by a script."""

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

