"""Viber's answers as the outbox contract's exceptions (bot/channels/base.py defines them).

The four contract errors are re-exported from base.py, so the worker loop catches what the
Viber client raises; the classes below add Viber's status to them.
"""

from __future__ import annotations

from bot.channels.base import Rejected, RetryLater, TransientError, Unreachable

__all__ = ["BACKOFF_SECONDS", "BadRequest", "NotSubscribed", "Rejected", "RetryLater",
           "ServerError", "TooManyRequests", "TransientError", "Unreachable", "ViberError",
           "error_for"]


class ViberError(Exception):
    """A non-zero `status` in Viber's answer (Viber answers HTTP 200 with it)."""

    def __init__(self, status: int, message: str) -> None:
        # Not super(): next in a subclass's order is a contract error with its own arguments.
        Exception.__init__(self, f"Viber status {status}: {message}")
        self.status = status
        self.status_message = message


class NotSubscribed(ViberError, Unreachable):
    """5 receiverNotRegistered, 6 receiverNotSubscribed: nobody to deliver to."""


class TooManyRequests(ViberError, RetryLater):
    """12 tooManyRequests. Viber names no wait; the whole account backs off."""

    def __init__(self, status: int, message: str, seconds: float) -> None:
        ViberError.__init__(self, status, message)
        self.seconds = float(seconds)
        self.whole_account = True


class BadRequest(ViberError, Rejected):
    """Any other non-zero status: this request cannot succeed as it is."""


class ServerError(TransientError):
    """Viber answered 5xx, or something that is no JSON answer of its API."""


# Statuses meaning the receiver cannot get messages (VIBER.md §1).
UNREACHABLE_STATUSES = frozenset({5, 6})
TOO_MANY_REQUESTS = 12
# Viber gives no retry-after; a minute keeps us well clear of the per-user hourly cap.
BACKOFF_SECONDS = 60.0


def error_for(status: int, message: str) -> ViberError:
    if status in UNREACHABLE_STATUSES:
        return NotSubscribed(status, message)
    if status == TOO_MANY_REQUESTS:
        return TooManyRequests(status, message, BACKOFF_SECONDS)
    return BadRequest(status, message)
