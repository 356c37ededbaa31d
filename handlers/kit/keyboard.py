"""A small builder of button rows, with the back / cancel / main-menu rows every screen has.

Buttons `add`-ed since the last fixed row form a group laid out by `adjust` (aiogram's
InlineKeyboardBuilder.adjust rules: sizes per row, the last size repeated, or all of them
cycled with ``repeat=True``); `row` and the helpers append fixed rows that `adjust` never
reflows, so a pager or a back row stays where it was put. A group is one button per row
unless adjusted. The helpers take their action: the kit knows no feature's callbacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, cycle, repeat

from handlers.kit.screen import MAX_ROW_WIDTH, Action, Button, Rows, Translate

BACK_KEY = "common.back"
CANCEL_KEY = "common.cancel"
MENU_KEY = "menu.back_to_menu"


def _sizes(sizes: tuple[int, ...], repeat_all: bool) -> Iterator[int]:
    if repeat_all:
        return cycle(sizes)
    return chain(sizes, repeat(sizes[-1]))


class Keyboard:
    """``Keyboard().add(*items).adjust(2).row(*pager).back(action, tr).build()``."""

    def __init__(self) -> None:
        self._rows: list[tuple[Button, ...]] = []
        self._group: list[Button] = []
        self._layout: tuple[tuple[int, ...], bool] = ((1,), False)

    def add(self, *buttons: Button | None) -> Keyboard:
        """Add buttons to the current group (None is skipped, for optional buttons)."""
        self._group.extend(b for b in buttons if b is not None)
        return self

    def adjust(self, *sizes: int, repeat: bool = False) -> Keyboard:
        """Lay the current group out in rows of these sizes."""
        sizes = sizes or (MAX_ROW_WIDTH,)
        if any(not 1 <= s <= MAX_ROW_WIDTH for s in sizes):
            raise ValueError(f"row sizes are 1-{MAX_ROW_WIDTH}: {sizes}")
        self._layout = (sizes, repeat)
        return self

    def row(self, *buttons: Button | None) -> Keyboard:
        """Close the current group and append one fixed row (an empty row is left out)."""
        self._flush()
        present = tuple(b for b in buttons if b is not None)
        if len(present) > MAX_ROW_WIDTH:
            raise ValueError(f"a row holds at most {MAX_ROW_WIDTH} buttons")
        if present:
            self._rows.append(present)
        return self

    def back(self, action: Action, tr: Translate, key: str = BACK_KEY) -> Keyboard:
        return self.row(Button(tr(key), action))

    def cancel(self, action: Action, tr: Translate, key: str = CANCEL_KEY) -> Keyboard:
        return self.row(Button(tr(key), action))

    def menu(self, action: Action, tr: Translate, key: str = MENU_KEY) -> Keyboard:
        return self.row(Button(tr(key), action))

    def nav(self, tr: Translate, *, back: Action | None = None,
            cancel: Action | None = None) -> Keyboard:
        """One row with back and cancel side by side (a wizard step's way out)."""
        return self.row(Button(tr(BACK_KEY), back) if back is not None else None,
                        Button(tr(CANCEL_KEY), cancel) if cancel is not None else None)

    def build(self) -> Rows:
        self._flush()
        return tuple(self._rows)

    def _flush(self) -> None:
        if not self._group:
            return
        sizes, repeat_all = self._layout
        widths = _sizes(sizes, repeat_all)
        rest = self._group
        while rest:
            width = next(widths)
            self._rows.append(tuple(rest[:width]))
            rest = rest[width:]
        self._group = []
        self._layout = ((1,), False)
