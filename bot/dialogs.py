"""Where each account stands in a draft's dialog, kept in the database next to the draft.

The FSM state of a dialog with a draft (appeal, petition, event, broadcast) is written to the
draft's row whenever a handler changes it. A process that starts with empty FSM storage (the
default in-memory one after a restart) puts an account back into the dialog state recorded for
it, so the next answer continues the dialog instead of falling through to "unknown message".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.dialogs import dialog_kind
from services import drafts
from services.drafts import Owner
from services.models import Resident

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class TrackedFSMContext(FSMContext):
    """The FSM context handlers get: it remembers the state they set last."""

    def __init__(self, storage: BaseStorage, key: StorageKey, current: str | None) -> None:
        super().__init__(storage, key)
        self.current = current
        self.changed = False

    async def set_state(self, state: StateType = None) -> None:
        await super().set_state(state)
        self.current = _state_name(state)
        self.changed = True


class DialogStateMiddleware(BaseMiddleware):
    """Writes dialog states through to the drafts table and restores them after a restart.

    Restoring needs one query per account, and only for the accounts that were in a dialog
    when this process started (read once, then forgotten one by one).
    """

    def __init__(self) -> None:
        self._in_dialog_at_start: set[str] | None = None

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        state = data.get("state")
        account = data.get("actor")
        if not isinstance(state, FSMContext) or not account or data.get("event_from_user") is None:
            return await handler(event, data)
        session: AsyncSession = data["session"]
        before: str | None = data.get("raw_state")
        if await self._was_in_dialog(session, account) and before is None:
            restored = await drafts.dialog_state_of(session, account)
            if dialog_kind(restored) is not None:
                await state.set_state(restored)
                data["raw_state"] = before = restored
        tracked = TrackedFSMContext(state.storage, state.key, before)
        data["state"] = tracked
        result = await handler(event, data)
        if tracked.changed and tracked.current != before:
            await _record(session, data.get("resident"), account, before, tracked.current)
        return result

    async def _was_in_dialog(self, session: AsyncSession, account: str) -> bool:
        if self._in_dialog_at_start is None:
            self._in_dialog_at_start = await drafts.accounts_in_dialogs(session)
        if account not in self._in_dialog_at_start:
            return False
        self._in_dialog_at_start.discard(account)
        return True


async def _record(session: AsyncSession, resident: Resident | None, account: str,
                  before: str | None, after: str | None) -> None:
    """The account moved from `before` to `after`: note it on the drafts concerned."""
    resident_id = resident.id if resident is not None else None
    left, entered = dialog_kind(before), dialog_kind(after)
    if left is not None and left != entered:
        owner = Owner.for_kind(left, resident_id, account)
        if owner is not None:
            await drafts.set_dialog_state(session, owner, left, account, None)
    if entered is not None:
        owner = Owner.for_kind(entered, resident_id, account)
        if owner is not None:
            await drafts.set_dialog_state(session, owner, entered, account, after)
