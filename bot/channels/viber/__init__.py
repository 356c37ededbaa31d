"""The Viber channel: webhook → stored callbacks → aiogram updates for the one dispatcher;
handlers' Bot API calls → Viber messages; the outbox transport. Facts: docs VIBER.md."""

from bot.channels.viber.channel import (
    ViberChannel,
    attach_viber,
    build_viber,
    transport_from_settings,
)
from bot.channels.viber.transport import ViberTransport

__all__ = ["ViberChannel", "ViberTransport", "attach_viber", "build_viber",
           "transport_from_settings"]
