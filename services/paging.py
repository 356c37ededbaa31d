"""One page of a listing: the generic value services return and the one pager renders."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]  # as the query gave them (a list or a tuple)
    page: int  # 0-based, clamped to the existing pages
    pages: int  # at least one, maybe empty
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


def page_bounds(total: int, page: int, page_size: int) -> tuple[int, int]:
    """(page clamped to the existing ones, number of pages)."""
    pages = max(1, math.ceil(total / page_size))
    return min(max(page, 0), pages - 1), pages
