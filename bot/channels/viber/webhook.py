"""`POST /viber/webhook`: check the signature, store the callback, answer 200 at once.

The signature (`X-Viber-Content-Signature`, or a `sig` query parameter as the Node SDK reads
it) is checked over the raw bytes in constant time; a wrong or missing one gets 403 and
nothing is read further. Every signed callback is answered 200 (Viber retries anything else
for an hour), including ones we ignore. A first `conversation_started` (not yet subscribed) is
answered with the welcome message, the only message Viber lets a bot send him then; a
subscriber's reopening counts only when it carries a deep link's context.

Callbacks that arrive while the previous ones are being committed are stored together, in one
transaction (a group commit): each request is still answered only once its row is committed,
and under load the webhook costs a fraction of a transaction per callback.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.viber.aliases import CHANNEL
from bot.channels.viber.client import SIGNATURE_HEADER, signature_ok
from bot.channels.viber.inbound import event_user, start_text
from services import inbox
from services.db import write_turn

log = logging.getLogger(__name__)

# Callbacks that may need the bot; `webhook`, `delivered`, `seen`, `client_status` do not.
STORED_EVENTS = frozenset({"message", "subscribed", "unsubscribed", "conversation_started",
                           "failed"})
Welcome = Callable[[dict[str, Any]], dict[str, Any]]


class GroupCommit:
    """Stores callbacks in batches: whatever arrived while the last batch was committed."""

    MAX_BATCH = 200

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._waiting: list[tuple[inbox.Arrived, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def store(self, arrived: inbox.Arrived) -> bool:
        """Whether the callback was kept (False: a duplicate), once it is committed."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((arrived, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = (self._waiting[:self.MAX_BATCH],
                                    self._waiting[self.MAX_BATCH:])
            try:
                async with self.sessionmaker() as session, write_turn(session):
                    kept = await inbox.store_many(session, CHANNEL, [a for a, _ in batch])
                    await session.commit()
            except Exception as exc:  # every request of the batch answers 500: Viber retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), stored in zip(batch, kept, strict=True):
                if not future.done():
                    future.set_result(stored)


class ViberWebhook:
    """The aiohttp handler; `counts` tells what it saw (refused, stored, duplicate...)."""

    def __init__(self, token: str, sessionmaker: async_sessionmaker[AsyncSession],
                 welcome: Welcome, wake: Callable[[], None]) -> None:
        self._token = token
        self.sessionmaker = sessionmaker
        self.welcome = welcome
        self.wake = wake
        self.counts: Counter[str] = Counter()
        self._commits = GroupCommit(sessionmaker)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        given = request.headers.get(SIGNATURE_HEADER) or request.query.get("sig")
        if not signature_ok(self._token, body, given):
            self.counts["refused"] += 1
            log.warning("refused a Viber callback: %s signature",
                        "wrong" if given else "missing")
            return web.Response(status=403)
        try:
            event = orjson.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            self.counts["unreadable"] += 1
            log.warning("a signed Viber callback is not a JSON event; ignored")
            return web.Response(status=200)
        kind = event["event"]
        if kind == "conversation_started":
            if not event.get("subscribed"):
                self.counts["welcomed"] += 1
                return web.json_response(self.welcome(event))
            if start_text(event.get("context")) == "/start":
                # A subscriber reopening the chat: his conversation (and keyboard) goes on;
                # only a deep link to something is worth a `/start <context>`.
                self.counts["ignored"] += 1
                return web.Response(status=200)
        if kind not in STORED_EVENTS:
            self.counts["ignored"] += 1
            return web.Response(status=200)
        found = event_user(event)
        if found is None:
            self.counts["ignored"] += 1
            return web.Response(status=200)
        token = event.get("message_token")
        key = str(token) if isinstance(token, int) else hashlib.sha256(body).hexdigest()
        stored = await self._commits.store(
            inbox.Arrived(key, found[0], body.decode("utf-8", "replace")))
        self.counts["stored" if stored else "duplicate"] += 1
        if stored:
            self.wake()
        return web.Response(status=200)
