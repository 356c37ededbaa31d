"""What the appeals screens put on buttons, in no channel's terms: the action kinds and the
makers of actions the screens are given (callbacks.py implements them with CallbackData)."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from handlers.kit.screen import Action


class SectionAction(StrEnum):
    SHOW = "show"  # the appeals section
    NEW = "new"  # a new appeal (or the choice of going on with the draft)
    RESUME = "resume"  # go on with the draft
    DISCARD = "discard"  # drop the draft


class FollowupAnswer(StrEnum):
    YES = "yes"
    NO = "no"


class StaffAction(StrEnum):
    ASSIGN = "assign"  # choose a department
    TAKE = "take"
    PROGRESS = "progress"
    CLOSE = "close"
    SIMPLE = "simple"  # toggles the simple (15-day) term
    FILES = "files"
    EXTEND = "extend"
    # The latest date is the extend wizard's suggestion now; this button of a prompt shown
    # before opens the dialog with that date taken.
    EXTEND_MAX = "extend_max"
    RETURN = "return"
    ANSWER = "answer"
    ANSWER_SEND = "answer_send"  # the wizard's skip button now: on no screen, refused as stale
    MERGE = "merge"


class ResidentActions(Protocol):
    def section(self, action: SectionAction = SectionAction.SHOW) -> Action: ...

    def restart(self) -> Action: ...

    def mine(self, page: int = 0) -> Action: ...

    def card(self, appeal_id: int, page: int = 0) -> Action: ...

    def support(self, appeal_id: int) -> Action: ...

    def rate(self, appeal_id: int, score: int) -> Action: ...

    def menu(self) -> Action: ...


class StaffActions(Protocol):
    def queue(self) -> Action: ...

    def page(self, category: str = "", page: int = 0) -> Action: ...

    def card(self, appeal_id: int, category: str = "", page: int = 0) -> Action: ...

    def act(self, action: StaffAction, appeal_id: int) -> Action: ...

    def department(self, appeal_id: int, index: int) -> Action: ...

    def petition(self, petition_id: int) -> Action: ...

    def menu(self) -> Action: ...
