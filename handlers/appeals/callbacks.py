"""The appeals feature's buttons: one CallbackData family per kind of action, typed fields.

Ids are RowId (checked against what the database can hold before any handler runs: a forged
or outdated button falls through to "no longer works"), actions are enums. `ResidentButtons`
and `StaffButtons` hand them to the screens (handlers/appeals/actions.py says what the screens
ask for), which never import aiogram.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.appeals.actions import FollowupAnswer, SectionAction, StaffAction
from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.petitions import PetCB

# The filing dialog (handlers/appeals/filing.py) is the wizard of this name.
FILING_WIZARD = "appeal"


class SectionCB(CallbackData, prefix="aps"):
    action: SectionAction


class MyListCB(CallbackData, prefix="apl"):
    """A page of the resident's own (and supported) appeals."""

    page: SmallNumber = 0


class MyCardCB(CallbackData, prefix="apc"):
    """An appeal's card as its author or a supporter may see it; `page` of the list behind."""

    appeal_id: RowId
    page: SmallNumber = 0


class SupportCB(CallbackData, prefix="apsp"):
    """Back an appeal offered as a duplicate of the draft, instead of filing it."""

    appeal_id: RowId


class FollowupCB(CallbackData, prefix="apfu"):
    """An answer to the follow-up question (services.appeals.FOLLOWUP_PRESS, packed by
    `pack_followup` when the notification is sent)."""

    appeal_id: RowId
    answer: FollowupAnswer


class RateCB(CallbackData, prefix="aprt"):
    appeal_id: RowId
    score: SmallNumber


class StaffQueueCB(CallbackData, prefix="saq"):
    """The moderators' queue: open appeals per category."""


class StaffListCB(CallbackData, prefix="sal"):
    """A page of open appeals, of one category ("" = all)."""

    category: str = ""
    page: SmallNumber = 0


class StaffCardCB(CallbackData, prefix="sac"):
    """An appeal's staff card; `category` and `page` of the list behind it."""

    appeal_id: RowId
    category: str = ""
    page: SmallNumber = 0


class StaffAppealCB(CallbackData, prefix="sap"):
    """A moderator's action on one appeal."""

    action: StaffAction
    appeal_id: RowId


class StaffDeptCB(CallbackData, prefix="sad"):
    """Assign to the department at this place of the council's list."""

    appeal_id: RowId
    department: SmallNumber


class ResidentButtons:
    """The residents' actions, as the screens ask for them (actions.ResidentActions)."""

    def section(self, action: SectionAction = SectionAction.SHOW) -> Action:
        return SectionCB(action=action)

    def restart(self) -> Action:
        return WizardCB(wizard=FILING_WIZARD, action=WizardAction.START)

    def mine(self, page: int = 0) -> Action:
        return MyListCB(page=page)

    def card(self, appeal_id: int, page: int = 0) -> Action:
        return MyCardCB(appeal_id=appeal_id, page=page)

    def support(self, appeal_id: int) -> Action:
        return SupportCB(appeal_id=appeal_id)

    def rate(self, appeal_id: int, score: int) -> Action:
        return RateCB(appeal_id=appeal_id, score=score)

    def menu(self) -> Action:
        return MenuCB(section="main")


class StaffButtons:
    """The moderators' actions, as the staff screens ask for them (actions.StaffActions)."""

    def queue(self) -> Action:
        return StaffQueueCB()

    def page(self, category: str = "", page: int = 0) -> Action:
        return StaffListCB(category=category, page=page)

    def card(self, appeal_id: int, category: str = "", page: int = 0) -> Action:
        return StaffCardCB(appeal_id=appeal_id, category=category, page=page)

    def act(self, action: StaffAction, appeal_id: int) -> Action:
        return StaffAppealCB(action=action, appeal_id=appeal_id)

    def department(self, appeal_id: int, index: int) -> Action:
        return StaffDeptCB(appeal_id=appeal_id, department=index)

    def petition(self, petition_id: int) -> Action:
        return PetCB(action="open", id=petition_id)

    def menu(self) -> Action:
        return MenuCB(section="main")


RESIDENT = ResidentButtons()
STAFF = StaffButtons()


def pack_followup(appeal_id: int, answer: str) -> str:
    """The follow-up question's buttons as this router reads them (Feature.presses)."""
    return FollowupCB(appeal_id=appeal_id, answer=FollowupAnswer(answer)).pack()
