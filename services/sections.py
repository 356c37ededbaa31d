"""Settings sections: each feature's frozen rules, built once at start-up, found by their type.

bot/features.py builds them from the Settings with each feature's declared builder; the
dispatcher hands each to handlers under its snake-case name (`AppealRules` → `appeal_rules`)
and jobs get them all in their context, so handlers and jobs follow the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")

_WORD = re.compile(r"(?<!^)(?=[A-Z])")


def section_name(kind: type) -> str:
    """The name a section is injected under: `AppealRules` → `appeal_rules`."""
    return _WORD.sub("_", kind.__name__).lower()


class Sections:
    """One instance per section type; asking for one nobody built is an error, never a default."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[object] = ()) -> None:
        self._items: dict[type, object] = {}
        for item in items:
            kind = type(item)
            if kind in self._items:
                raise ValueError(f"settings section {kind.__name__} is built twice")
            self._items[kind] = item

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._items[kind])
        except KeyError:
            raise LookupError(f"no settings section {kind.__name__}: is the feature that "
                              "builds it listed in bot/features.py?") from None

    def named(self) -> dict[str, object]:
        """The sections by the names handlers take them as."""
        return {section_name(kind): item for kind, item in self._items.items()}

    def __iter__(self) -> Iterator[object]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)
