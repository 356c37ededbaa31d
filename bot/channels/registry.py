"""THE list of channels the outbox can deliver to: name → factory of its Transport.

A factory builds the transport from the Settings, or returns None when the channel is not
configured in them (no token). The worker loop (bot/outbox/) runs one sender per transport;
adding a channel is a package under bot/channels/ and one line here.

A process that serves a channel live (Viber's webhook) hands the worker that channel's own
transport instead (`Runtime.transports`), which shares the webhook's client and memory. The
factory's transport serves processes that deliver without serving the webhook: Viber shows
only the keyboard of the newest message, so a notification must carry the keyboard the person
was last shown, which the database keeps for every process; it copies stored media (poll
charts, Telegram files) into the media store as the live channel does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Transport
from bot.config import Settings
from services.models import Channel

# The sessionmaker (None in one-off checks) is for what a transport keeps in the database,
# such as the file id a stored picture got when it was first uploaded.
TransportFactory = Callable[[Settings, "async_sessionmaker[AsyncSession] | None"],
                            Transport | None]


def _telegram(settings: Settings,
              sessionmaker: async_sessionmaker[AsyncSession] | None) -> Transport | None:
    if settings.bot_token is None:
        return None
    # Imported here: the transport depends on the worker loop, which the runner imports too.
    from pathlib import Path

    from bot.channels.media import MediaStore
    from bot.channels.telegram.client import build_bot
    from bot.channels.telegram.transport import TelegramTransport

    return TelegramTransport(
        build_bot(settings),
        rate_per_second=settings.delivery_rate_per_second,
        per_chat_interval=settings.delivery_per_chat_interval,
        allow_paid_broadcast=settings.allow_paid_broadcast,
        username=settings.bot_username,
        owns_bot=True,
        sessionmaker=sessionmaker,
        store=MediaStore.reader(Path(settings.media_dir)),
    )


def _viber(settings: Settings,
           sessionmaker: async_sessionmaker[AsyncSession] | None) -> Transport | None:
    if settings.viber_token is None:
        return None
    from bot.channels.viber import transport_from_settings

    return transport_from_settings(settings, sessionmaker)


CHANNELS: Mapping[str, TransportFactory] = MappingProxyType({
    Channel.TELEGRAM.value: _telegram,
    Channel.VIBER.value: _viber,
})
