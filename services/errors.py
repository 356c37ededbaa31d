"""Domain errors: handlers turn each into a polite message keyed by `message_key`."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `message_key` names the text in `locales/`; `params` fill it in."""

    message_key: str = "error.generic"

    def __init__(self, message_key: str | None = None, **params: Any) -> None:
        self.message_key = message_key or self.message_key
        self.params = params
        super().__init__(self.message_key)


class NotFound(DomainError):
    message_key = "error.not_found"


class PermissionDenied(DomainError):
    message_key = "error.permission"


class InvalidInput(DomainError):
    message_key = "error.invalid"


class Conflict(DomainError):
    message_key = "error.conflict"
