"""What the petitions screens' buttons do, in no channel's terms: the action families and
the factories a channel provides (Telegram: handlers/petitions/callbacks.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from handlers.kit.screen import Action
from services.petitions import ListKind


class CardAction(StrEnum):
    OPEN = "open"
    SIGN = "sign"
    WITHDRAW = "withdraw"


class StaffAction(StrEnum):
    VIEW = "view"
    APPROVE = "approve"
    REJECT = "reject"  # offers the reasons
    REASON = "reason"  # a reason picked (value): asks for a comment
    REJECT_GO = "reject_go"  # reject for the reason (value) without a comment
    EDIT_TITLE = "edit_title"
    EDIT_TEXT = "edit_text"
    CONSIDER = "consider"
    ANSWER = "answer"  # offers the kinds of answer
    KIND = "kind"  # a kind picked (value): asks for the answer's text
    EXPORT = "export"


class StaffList(StrEnum):
    QUEUE = "queue"  # waiting for moderation
    AWAITING = "awaiting"  # waiting for the council's answer


class ResidentActions(Protocol):
    def menu(self) -> Action: ...

    def section(self) -> Action: ...

    def page(self, kind: ListKind, page: int = 0) -> Action: ...

    def search(self) -> Action: ...

    def start_filing(self) -> Action: ...

    def card(self, action: CardAction, petition_id: int, back: ListKind | None = None,
             page: int = 0) -> Action:
        """`back` and `page`: the list the card returns to (None: the petitions section)."""


class StaffActions(Protocol):
    def page(self, which: StaffList, page: int = 0) -> Action: ...

    def petition(self, action: StaffAction, petition_id: int, value: str = "") -> Action: ...
