"""Reading updates from Telegram one at a time: one that cannot be read is logged once with its
id and skipped, so it never stalls everybody else.

aiogram reads a whole `getUpdates` answer as one list: a single malformed update fails the
batch, the offset never moves past it, and polling retries the same batch for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, Dispatcher, loggers
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

# Called with each batch of updates read, before any is handled (to look up ahead, in one
# query, what every update of the batch would ask for on its own).
BatchHook = Callable[[list[Update]], Awaitable[None]]
# The same for a channel adapter's batch (Viber's claimed callbacks): the accounts of one
# messenger, in the adapter's session.
AccountsHook = Callable[[AsyncSession, str, Sequence[str]], Awaitable[None]]


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """`getUpdates`, answered as plain objects so that each update is read on its own."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def parse_update(raw: Any, bot: Bot) -> Update | None:
    """The update, or None (one warning with its id, no traceback) when it cannot be read."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except (ValidationError, RecursionError) as exc:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            where = " at " + ".".join(str(p) for p in exc.errors()[0]["loc"])
        # Not the content itself: it may carry a person's messages.
        log.warning("update %s could not be read, skipped (%s%s)", update_id,
                    type(exc).__name__, where)
        return None


class SkippingDispatcher(Dispatcher):
    """A Dispatcher whose long polling skips an update it cannot read instead of stalling,
    and that knows when no update is being handled (for a graceful stop)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.before_batch: BatchHook | None = None
        self.profiles_ahead: AccountsHook | None = None
        self._in_progress = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self._in_progress += 1
        self._idle.clear()
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self._in_progress -= 1
            if not self._in_progress:
                self._idle.set()

    async def wait_idle(self, within: float) -> None:
        """Let the updates being handled finish (polling handles them as separate tasks)."""
        if self._in_progress:
            log.info("waiting for %d update(s) in progress", self._in_progress)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._idle.wait()

    async def _listen_updates(  # type: ignore[override]  # the hook is the instance's
        self,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        backoff = Backoff(config=backoff_config)
        get_updates = GetRawUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        kwargs = {}
        if bot.session.timeout:
            # The request may take the whole long-poll wait plus the session's own timeout.
            kwargs["request_timeout"] = int(bot.session.timeout + polling_timeout)
        failed = False
        while True:
            try:
                batch = await bot(get_updates, **kwargs)
            except Exception as exc:
                failed = True
                loggers.dispatcher.error("Failed to fetch updates - %s: %s",
                                         type(exc).__name__, exc)
                await backoff.asleep()
                continue
            if failed:
                loggers.dispatcher.info("Connection established (tryings = %d)",
                                        backoff.counter)
                backoff.reset()
                failed = False
            updates = []
            for raw in batch:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                update = parse_update(raw, bot)
                # Confirmed either way (with the next request): Telegram forgets updates
                # below the offset.
                if isinstance(update_id, int) and not isinstance(update_id, bool):
                    get_updates.offset = update_id + 1
                if update is not None:
                    updates.append(update)
            if updates and self.before_batch is not None:
                await self._run_hook(self.before_batch, updates)
            for update in updates:
                yield update

    @staticmethod
    async def _run_hook(hook: BatchHook, updates: list[Update]) -> None:
        """Only a speed-up: whatever goes wrong, the updates are handled as without it."""
        try:
            await hook(updates)
        except Exception:
            log.exception("looking ahead at a batch of %d updates failed", len(updates))
