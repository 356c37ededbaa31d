"""The polls feature's buttons: one CallbackData family per action family, typed fields only.

Everything here comes back from the client and may be forged: ids are bounded at the edge
(handlers.kit.ids), and the routers check the poll behind every id on every press. The
classes also implement the screens' navigation protocols (handlers/polls/screens.py), so
screens get typed actions without importing aiogram.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.polls.screens import Shelf
from handlers.polls.screens_staff import EditPart

# The poll-creation wizard (handlers/polls/creation.py) is the wizard of this name.
WIZARD = "poll"


class PollListCB(CallbackData, prefix="pls"):
    kind: Shelf
    page: SmallNumber = 0


class CardAction(StrEnum):
    OPEN = "o"  # show the card
    TOGGLE = "t"  # multiple choice: one option in or out of the selection
    ANSWER = "a"  # answer (or change the answer) with the options in `mask`
    CHART = "c"  # the results picture
    DISTRICT = "d"  # "my district is…": the district question


class PollCB(CallbackData, prefix="pv"):
    """A resident's press on a poll card; `mask` holds the chosen options by position (bit
    k = the k-th option), `version` the poll's version the card showed."""

    action: CardAction
    poll_id: RowId
    version: SmallNumber = 0
    mask: SmallNumber = 0
    option: SmallNumber = 0  # the position toggled; for DISTRICT, the page of districts
    page: SmallNumber = 0  # of the list to go back to


class DistrictCB(CallbackData, prefix="pd"):
    """The resident's district: `choice` k is the k-th configured district, 0 "don't know";
    `poll_id` is the card to return to (0: none)."""

    poll_id: RowId = 0
    choice: SmallNumber = 0


class StaffAction(StrEnum):
    VIEW = "v"  # the staff card with the live tally
    CLOSE = "c"  # ask to close early
    CLOSE_YES = "cy"
    EXPORT = "x"  # anonymised CSV
    EDIT = "e"  # retype the question, description or options (before the first answer)


class PollStaffCB(CallbackData, prefix="ps"):
    action: StaffAction
    poll_id: RowId
    version: SmallNumber = 0
    part: EditPart = EditPart.NONE


class StaffListCB(CallbackData, prefix="psl"):
    page: SmallNumber = 0


class ResidentNav:
    """The actions of the residents' screens (screens.ResidentActions)."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def shelf(self, kind: Shelf, page: int = 0) -> Action:
        return PollListCB(kind=kind, page=page)

    def card(self, poll_id: int, page: int = 0) -> Action:
        return PollCB(action=CardAction.OPEN, poll_id=poll_id, page=page)

    def toggle(self, poll_id: int, version: int, mask: int, position: int,
               page: int = 0) -> Action:
        return PollCB(action=CardAction.TOGGLE, poll_id=poll_id, version=version, mask=mask,
                      option=position, page=page)

    def answer(self, poll_id: int, version: int, mask: int, page: int = 0) -> Action:
        return PollCB(action=CardAction.ANSWER, poll_id=poll_id, version=version, mask=mask,
                      page=page)

    def chart(self, poll_id: int, page: int = 0) -> Action:
        return PollCB(action=CardAction.CHART, poll_id=poll_id, page=page)

    def ask_district(self, poll_id: int, page: int = 0, districts_page: int = 0) -> Action:
        return PollCB(action=CardAction.DISTRICT, poll_id=poll_id, page=page,
                      option=districts_page)

    def district(self, poll_id: int, choice: int) -> Action:
        return DistrictCB(poll_id=poll_id, choice=choice)


class StaffNav:
    """The actions of the moderators' screens (screens_staff.StaffActions)."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def list(self, page: int = 0) -> Action:
        return StaffListCB(page=page)

    def new_poll(self) -> Action:
        return WizardCB(wizard=WIZARD, action=WizardAction.START)

    def view(self, poll_id: int) -> Action:
        return PollStaffCB(action=StaffAction.VIEW, poll_id=poll_id)

    def close(self, poll_id: int) -> Action:
        return PollStaffCB(action=StaffAction.CLOSE, poll_id=poll_id)

    def close_yes(self, poll_id: int) -> Action:
        return PollStaffCB(action=StaffAction.CLOSE_YES, poll_id=poll_id)

    def export(self, poll_id: int) -> Action:
        return PollStaffCB(action=StaffAction.EXPORT, poll_id=poll_id)

    def edit(self, poll_id: int, version: int, part: EditPart) -> Action:
        return PollStaffCB(action=StaffAction.EDIT, poll_id=poll_id, version=version, part=part)


RESIDENT_NAV = ResidentNav()
# The district question from outside a poll (a /settings button's callback data).
DISTRICT_SETTING = PollCB(action=CardAction.DISTRICT, poll_id=0).pack()
STAFF_NAV = StaffNav()
