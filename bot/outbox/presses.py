"""Notification buttons that act when pressed, packed for the conversation layer at send time.

Services name a button's action and its arguments (services.outbox.press_button); the feature
that answers the press declares how it is packed (handlers/kit/feature.Press, built from its
CallbackData class). The sender packs each claimed row just before its transport sees it, so
rows in the database hold no wire format and every channel renders plain callback buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

from handlers.kit.feature import Press

log = logging.getLogger(__name__)

Rows = list[list[dict[str, Any]]]


class Presses:
    """The packers of every action a notification button may carry."""

    def __init__(self, packers: Mapping[str, Press]) -> None:
        self._packers = dict(packers)

    def pack(self, rows: Rows | None) -> Rows | None:
        """The rows with each `press` turned into its `callback`; a press nobody handles (its
        feature removed since the row was written) loses its button, not the message."""
        if not rows or not any("press" in spec for row in rows for spec in row):
            return rows
        packed: Rows = []
        for row in rows:
            line = [button for spec in row if (button := self._button(spec)) is not None]
            if line:
                packed.append(line)
        return packed or None

    def _button(self, spec: dict[str, Any]) -> dict[str, Any] | None:
        press = spec.get("press")
        if press is None:
            return spec
        args = {k: v for k, v in press.items() if k != "action"}
        packer = self._packers.get(str(press.get("action")))
        try:
            if packer is None:
                raise LookupError("no feature handles this action")
            callback = packer.pack(**args)
        except (LookupError, TypeError, ValueError) as exc:
            log.warning("dropped a button with the press %r: %s", press, exc)
            return None
        return {k: v for k, v in spec.items() if k != "press"} | {"callback": callback}


@cache
def feature_presses() -> Presses:
    """The presses of every feature in the registry (bot/features.py)."""
    from bot.features import presses  # the registry imports every feature: only when sending

    return Presses(presses())
