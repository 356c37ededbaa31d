"""The votes feature's buttons: one CallbackData class per action family, typed fields.

Ids are bounded at the edge (RowId, SmallNumber), actions are enums, so a forged button with
a garbled field never reaches a handler; one with a well-formed id still does, and every
handler checks what is behind it (published, existing, staff). `NAV` builds them for the
pure screens, which know only the `VotesNav` protocol (handlers/votes/screens_nav.py).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from handlers.votes.screens_nav import (
    DeputyAction,
    Section,
    StaffSection,
    StaffSessionAction,
    StaffVoteAction,
)
from services.votes.models import VoteValue


class VotesCB(CallbackData, prefix="vt"):
    to: Section
    page: SmallNumber = 0


class SessionCB(CallbackData, prefix="vs"):
    """A published session's votes, a page of them."""

    id: RowId
    page: SmallNumber = 0


class DecisionCB(CallbackData, prefix="vd"):
    """A decision card."""

    id: RowId


class RollCB(CallbackData, prefix="vr"):
    """A decision's roll call: the deputies who voted `value`, a page of them."""

    id: RowId
    value: VoteValue
    page: SmallNumber = 0


class FactionCB(CallbackData, prefix="vf"):
    id: RowId
    page: SmallNumber = 0


class DistrictCB(CallbackData, prefix="vo"):
    """The deputies elected in one electoral district (a number, not a row id)."""

    number: SmallNumber


class DeputyCB(CallbackData, prefix="vp"):
    action: DeputyAction
    id: RowId
    page: SmallNumber = 0


class CompareCB(CallbackData, prefix="vc"):
    first_id: RowId
    second_id: RowId
    page: SmallNumber = 0


# ---- staff ---------------------------------------------------------------------------------


class StaffCB(CallbackData, prefix="vx"):
    to: StaffSection
    page: SmallNumber = 0


class StaffSessionCB(CallbackData, prefix="vy"):
    action: StaffSessionAction
    id: RowId
    page: SmallNumber = 0


class StaffVoteCB(CallbackData, prefix="vz"):
    action: StaffVoteAction
    id: RowId


STAFF_CALLBACKS = (StaffCB, StaffSessionCB, StaffVoteCB)


class CallbackNav:
    """`VotesNav` for Telegram-style buttons: each target as its packed CallbackData."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def home(self) -> Action:
        return VotesCB(to=Section.HOME)

    def section(self, to: Section, page: int = 0) -> Action:
        return VotesCB(to=to, page=page)

    def session(self, session_id: int, page: int = 0) -> Action:
        return SessionCB(id=session_id, page=page)

    def decision(self, event_id: int) -> Action:
        return DecisionCB(id=event_id)

    def roll(self, event_id: int, value: VoteValue, page: int = 0) -> Action:
        return RollCB(id=event_id, value=value, page=page)

    def faction(self, faction_id: int, page: int = 0) -> Action:
        return FactionCB(id=faction_id, page=page)

    def district(self, number: int) -> Action:
        return DistrictCB(number=number)

    def deputy(self, deputy_id: int, action: DeputyAction = DeputyAction.CARD,
               page: int = 0) -> Action:
        return DeputyCB(action=action, id=deputy_id, page=page)

    def compare(self, first_id: int, second_id: int, page: int = 0) -> Action:
        return CompareCB(first_id=first_id, second_id=second_id, page=page)

    def staff(self, to: StaffSection, page: int = 0) -> Action:
        return StaffCB(to=to, page=page)

    def staff_session(self, session_id: int, action: StaffSessionAction, page: int = 0
                      ) -> Action:
        return StaffSessionCB(action=action, id=session_id, page=page)

    def staff_vote(self, event_id: int, action: StaffVoteAction = StaffVoteAction.OPEN
                   ) -> Action:
        return StaffVoteCB(action=action, id=event_id)


NAV = CallbackNav()
