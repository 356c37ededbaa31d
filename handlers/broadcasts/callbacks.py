"""The broadcasts feature's buttons: one CallbackData family per kind of action, typed fields.

`Actions` builds them for the screens (handlers/broadcasts/screens.py), which never import
aiogram themselves. The composing dialog's own buttons are the wizard's (WizardCB).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action


class BroadcastAction(StrEnum):
    REFRESH = "refresh"  # the figures of broadcast `id` again
    CANCEL = "cancel"  # stop it


class BroadcastCB(CallbackData, prefix="bc"):
    action: BroadcastAction
    id: RowId


class HistoryCB(CallbackData, prefix="bch"):
    page: SmallNumber = 0


class SummaryAction(StrEnum):
    SCHEDULE = "schedule"  # ask when to send it
    URGENT = "urgent"  # flip "urgent"


class SummaryCB(CallbackData, prefix="bcs"):
    """The summary's own buttons, next to the wizard's "send" and "cancel"."""

    action: SummaryAction


class Actions:
    """The actions the broadcasts screens put on their buttons."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def refresh(self, broadcast_id: int) -> Action:
        return BroadcastCB(action=BroadcastAction.REFRESH, id=broadcast_id)

    def cancel(self, broadcast_id: int) -> Action:
        return BroadcastCB(action=BroadcastAction.CANCEL, id=broadcast_id)

    def history(self, page: int) -> Action:
        return HistoryCB(page=page)

    def schedule(self) -> Action:
        return SummaryCB(action=SummaryAction.SCHEDULE)

    def urgent(self) -> Action:
        return SummaryCB(action=SummaryAction.URGENT)


ACTIONS = Actions()
