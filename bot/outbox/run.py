"""One outbox sender per configured channel, run beside polling or the webhook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Transport
from bot.channels.registry import CHANNELS, TransportFactory
from bot.config import Settings
from bot.outbox.worker import Sender

log = logging.getLogger(__name__)


def configured_transports(settings: Settings,
                          channels: Mapping[str, TransportFactory] = CHANNELS,
                          transports: Mapping[str, Transport] | None = None, *,
                          sessionmaker: async_sessionmaker[AsyncSession] | None = None
                          ) -> list[Transport]:
    """The transports of every channel the settings configure, in the registry's order; a
    channel this process serves live hands its own in `transports` (used instead)."""
    given = transports or {}
    return [t for name, factory in channels.items()
            if (t := given.get(name) or factory(settings, sessionmaker)) is not None]


def sender_for(transport: Transport, sessionmaker: async_sessionmaker[AsyncSession],
               settings: Settings, *, worker_id: str, redis: Any | None = None,
               key_prefix: str = "hromada") -> Sender:
    """A sender configured by the delivery_* settings, sharing the rate through `redis` if any."""
    return Sender(transport, sessionmaker, worker_id=worker_id, redis=redis,
                  key_prefix=key_prefix, max_attempts=settings.delivery_max_attempts)


async def _run_then_close(sender: Sender, stop: asyncio.Event) -> None:
    try:
        await sender.run(stop)
    finally:
        await sender.transport.close()


def start_delivery(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    *,
    worker_id: str,
    redis: Any | None = None,
    key_prefix: str = "hromada",
    channels: Mapping[str, TransportFactory] = CHANNELS,
    transports: Mapping[str, Transport] | None = None,
) -> list[asyncio.Task[None]]:
    """Run a sender per configured channel as tasks; set `stop` and await them to end."""
    tasks = []
    for transport in configured_transports(settings, channels, transports,
                                           sessionmaker=sessionmaker):
        sender = sender_for(transport, sessionmaker, settings, worker_id=worker_id,
                            redis=redis, key_prefix=key_prefix)
        log.info("outbox sender for %s started", transport.channel)
        tasks.append(asyncio.create_task(_run_then_close(sender, stop),
                                         name=f"outbox-sender-{transport.channel}"))
    return tasks
