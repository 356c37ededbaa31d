"""The events feature's buttons: one CallbackData family per kind of action, typed fields.

`Actions` builds them for the screens (handlers/events/screens.py), which never import
aiogram themselves.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.core import MenuCB
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from services.events import Topic


class SubAction(StrEnum):
    SHOW = "show"  # the topics screen
    TOGGLE = "toggle"  # follow / stop following `topic`
    POPULAR = "popular"  # the onboarding offer: follow the popular topics
    SKIP = "skip"  # the onboarding offer: not now


class SubCB(CallbackData, prefix="sub"):
    action: SubAction
    topic: Topic | None = None


class EventAction(StrEnum):
    LIST = "list"  # a page of upcoming events
    REMIND = "remind"  # "remind me" of `event_id`


class EventCB(CallbackData, prefix="ev"):
    action: EventAction
    event_id: RowId = 0
    page: SmallNumber = 0


class EventAdminAction(StrEnum):
    MANAGE = "manage"  # the event's card with its edit buttons
    EDIT = "edit"  # ask for a new value of `field`
    CANCEL = "cancel"  # "cancel the event?"
    CANCEL_YES = "cancel_yes"  # cancel it
    ABORT = "abort"  # leave the edit question


class EventField(StrEnum):
    TITLE = "title"
    STARTS_AT = "starts_at"
    STREAM_URL = "stream_url"
    PLACE = "place"


class EventAdminCB(CallbackData, prefix="evp"):
    """The press service's buttons on one event (press staff only)."""

    action: EventAdminAction
    id: RowId = 0
    field: EventField | None = None


class Actions:
    """The actions the events screens put on their buttons."""

    def menu(self) -> Action:
        return MenuCB(section="main")

    def topics(self) -> Action:
        return SubCB(action=SubAction.SHOW)

    def toggle(self, topic: Topic) -> Action:
        return SubCB(action=SubAction.TOGGLE, topic=topic)

    def popular(self) -> Action:
        return SubCB(action=SubAction.POPULAR)

    def skip(self) -> Action:
        return SubCB(action=SubAction.SKIP)

    def events(self, page: int = 0) -> Action:
        return EventCB(action=EventAction.LIST, page=page)

    def remind(self, event_id: int, page: int) -> Action:
        return EventCB(action=EventAction.REMIND, event_id=event_id, page=page)

    def manage(self, event_id: int) -> Action:
        return EventAdminCB(action=EventAdminAction.MANAGE, id=event_id)

    def edit(self, event_id: int, field: str) -> Action:
        return EventAdminCB(action=EventAdminAction.EDIT, id=event_id, field=EventField(field))

    def cancel(self, event_id: int) -> Action:
        return EventAdminCB(action=EventAdminAction.CANCEL, id=event_id)

    def cancel_yes(self, event_id: int) -> Action:
        return EventAdminCB(action=EventAdminAction.CANCEL_YES, id=event_id)

    def abort_edit(self) -> Action:
        return EventAdminCB(action=EventAdminAction.ABORT)


ACTIONS = Actions()
