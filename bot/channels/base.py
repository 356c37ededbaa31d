"""What a channel's outbox transport is, and how it tells the worker loop what went wrong.

The worker loop (bot/outbox/) is written once; each channel gives it a `Transport` that sends
one claimed row and maps its messenger's answers onto the four errors below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from services.outbox import Claimed

__all__ = ["Rejected", "RetryLater", "TransientError", "Transport", "Unreachable"]


class TransientError(Exception):
    """Network trouble or a server error: the row is tried again later, with backoff."""


class RetryLater(Exception):
    """The messenger asks us to wait `seconds` before sending again.

    `whole_account=True` pauses every sender of this channel, in every process (a Telegram
    429); False delays only this row (a per-recipient wait).
    """

    def __init__(self, seconds: float, *, whole_account: bool = True) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = float(seconds)
        self.whole_account = whole_account


class Unreachable(Exception):
    """The person blocked the bot or is not subscribed: the account is marked unreachable and
    the row dropped."""


class Rejected(Exception):
    """The message itself was refused (a bad request): sending it again cannot succeed."""


class Transport(Protocol):
    """One channel's way of sending outbox rows."""

    channel: str  # a services.models.Channel value ("telegram", "viber")
    rate_per_second: float  # the account-wide limit the worker keeps to (token bucket)
    per_chat_interval: float  # spacing between two sends to one chat

    async def send(self, row: Claimed) -> None: ...

    async def close(self) -> None: ...
