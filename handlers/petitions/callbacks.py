"""The petitions feature's buttons on Telegram: one CallbackData class per action family.

The residents' lists and cards keep the wire format of the messages already in people's
chats ("pl:new:0", "pc:sign:12::0"), so their buttons still work (the old search button too,
handlers/petitions/resident.py); the moderators' buttons are new families. Ids are checked
against what the database can hold (handlers.kit.ids); the person's right to the petition
behind an id is checked by the service on every press.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.petitions.actions import CardAction, StaffAction, StaffList
from services.petitions import ListKind

# The filing dialog (handlers/petitions/filing.py) is the wizard of this name.
FILING_WIZARD = "petition"


class PetListCB(CallbackData, prefix="pl"):
    """A page of one of the residents' lists."""

    kind: ListKind
    page: SmallNumber = 0


class PetSearchCB(CallbackData, prefix="ps"):
    """Ask for the words to search for."""


class PetCB(CallbackData, prefix="pc"):
    """A card action; `kind` and `page` are the list to go back to (None: the section)."""

    action: CardAction
    id: RowId
    kind: ListKind | None = None
    page: SmallNumber = 0


class PetStaffListCB(CallbackData, prefix="pq"):
    """A page of one of the moderators' lists."""

    which: StaffList
    page: SmallNumber = 0


class PetAdmCB(CallbackData, prefix="pa"):
    """A moderator's action on one petition; `value` is the reason or answer kind picked,
    checked by the service (services.petitions.validation) before anything changes."""

    action: StaffAction
    id: RowId
    value: str = ""


class TelegramResidentActions:
    """handlers.petitions.actions.ResidentActions as callback data."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def section(self) -> Action:
        return MenuCB(section="petitions")

    def page(self, kind: ListKind, page: int = 0) -> Action:
        return PetListCB(kind=kind, page=page)

    def search(self) -> Action:
        return PetSearchCB()

    def start_filing(self) -> Action:
        return WizardCB(wizard=FILING_WIZARD, action=WizardAction.START)

    def card(self, action: CardAction, petition_id: int, back: ListKind | None = None,
             page: int = 0) -> Action:
        return PetCB(action=action, id=petition_id, kind=back, page=page)


class TelegramStaffActions:
    """handlers.petitions.actions.StaffActions as callback data."""

    def page(self, which: StaffList, page: int = 0) -> Action:
        return PetStaffListCB(which=which, page=page)

    def petition(self, action: StaffAction, petition_id: int, value: str = "") -> Action:
        return PetAdmCB(action=action, id=petition_id, value=value)


RESIDENT_ACTIONS = TelegramResidentActions()
STAFF_ACTIONS = TelegramStaffActions()
