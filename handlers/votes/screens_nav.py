"""Where the vote screens' buttons lead, in no channel's terms: the action enums and the
`VotesNav` protocol the screens build their buttons with (handlers/votes/callbacks.py
implements it with aiogram CallbackData; a test may hand in anything that packs)."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from handlers.kit.screen import Action
from services.votes.models import VoteValue


class Section(StrEnum):
    HOME = "home"
    SESSIONS = "sessions"
    SEARCH = "search"  # ask for words
    RESULTS = "results"  # a page of the last search
    DEPUTIES = "deputies"
    DISTRICTS = "districts"
    NAME_SEARCH = "names"  # ask for a name
    NAMES = "named"  # a page of the last name search
    FOLLOWED = "followed"
    MY_DISTRICT = "mine"
    NOTIFY = "notify"  # subscribe to / unsubscribe from "council votes"


class DeputyAction(StrEnum):
    CARD = "c"
    VOTES = "v"
    FOLLOW = "f"
    UNFOLLOW = "u"
    COMPARE = "p"  # ask whom to compare with


class StaffSection(StrEnum):
    HOME = "home"
    UPLOAD = "upload"
    SESSIONS = "sessions"
    IMPORT = "import"  # import the previewed file
    CANCEL = "cancel"  # forget the previewed file
    UNKNOWN = "unknown"  # toggle: add deputies unknown by name
    PARTIAL = "partial"  # toggle: import a ZIP's good files without the refused ones
    LENIENT = "lenient"  # toggle: accept line breaks inside JSON strings


class StaffSessionAction(StrEnum):
    OPEN = "o"
    DECISIONS = "d"
    FLAGGED = "f"
    ASK = "a"  # ask before publishing
    PUBLISH = "p"


class StaffVoteAction(StrEnum):
    OPEN = "o"
    CONFIRM = "c"
    LINK = "l"  # ask for the number of the petition this decision answers
    UNLINK = "u"


class VotesNav(Protocol):
    def menu(self) -> Action: ...

    def home(self) -> Action: ...

    def section(self, to: Section, page: int = 0) -> Action: ...

    def session(self, session_id: int, page: int = 0) -> Action: ...

    def decision(self, event_id: int) -> Action: ...

    def roll(self, event_id: int, value: VoteValue, page: int = 0) -> Action: ...

    def faction(self, faction_id: int, page: int = 0) -> Action: ...

    def district(self, number: int) -> Action: ...

    def deputy(self, deputy_id: int, action: DeputyAction = DeputyAction.CARD,
               page: int = 0) -> Action: ...

    def compare(self, first_id: int, second_id: int, page: int = 0) -> Action: ...

    def staff(self, to: StaffSection, page: int = 0) -> Action: ...

    def staff_session(self, session_id: int, action: StaffSessionAction, page: int = 0
                      ) -> Action: ...

    def staff_vote(self, event_id: int, action: StaffVoteAction = StaffVoteAction.OPEN
                   ) -> Action: ...
