"""Which draft each dialog state fills in: declared by the features, read by bot/dialogs.py.

A dialog with a draft (appeal, petition, event, broadcast) declares its FSM states here;
the dialog-state middleware writes an account's state onto the draft's row and restores it
after a restart. States are matched by their "Group:step" names (no aiogram import here).
"""

from __future__ import annotations

from typing import Any

from services.drafts import DraftKind

# FSM state ("Group:step") → the kind of draft its dialog fills in.
_dialog_kinds: dict[str, DraftKind] = {}


def register_dialog(kind: DraftKind, *states: Any) -> None:
    """Declare that these aiogram States (or every state of these StatesGroups) belong to
    `kind`'s dialog."""
    for item in states:
        # A StatesGroup class lists its states in `__states__`; a State is one itself.
        group_states = getattr(item, "__states__", None) or (item,)
        for state in group_states:
            if state.state is not None:
                _dialog_kinds[state.state] = kind


def dialog_kind(state: str | None) -> DraftKind | None:
    return _dialog_kinds.get(state) if state else None
