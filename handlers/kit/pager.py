"""ONE pager row: previous / optional "k/n" / next, for whatever page object a service returns.

Today's pagers take three different contracts, all of them 0-based page numbers:

1. appeals (services.appeals.Page): ``page``, ``pages`` (and ``total``, ``per_page``);
   the handler works out prev = ``page > 0`` and next = ``page + 1 < pages``.
2. petitions (services.petitions.Page): ``page``, ``pages`` and ready ``has_prev`` /
   ``has_next``.
3. events and broadcast history (services.events.upcoming, services.broadcasts.history):
   a bare ``(items, total)`` from offset/limit; the handler computes
   ``pages = max(1, ceil(total / per_page))`` and never clamps the page it was asked for.

`pager_row` takes a `PageInfo`: anything with ``page`` and ``pages`` (contracts 1 and 2 as
they are; 3 through `PageWindow.from_total`), or with ``page``, ``has_prev`` and ``has_next``
when the total is unknown. Explicit ``has_prev`` / ``has_next`` win over the computed ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Action, Button, Translate
from services.paging import page_bounds


@runtime_checkable
class CountedPage(Protocol):
    @property
    def page(self) -> int: ...

    @property
    def pages(self) -> int: ...


@runtime_checkable
class OpenPage(Protocol):
    @property
    def page(self) -> int: ...

    @property
    def has_prev(self) -> bool: ...

    @property
    def has_next(self) -> bool: ...


PageInfo = CountedPage | OpenPage


@dataclass(frozen=True, slots=True)
class PageWindow:
    """A page of an offset/limit listing (contract 3): page number and page count."""

    page: int
    pages: int

    @classmethod
    def from_total(cls, page: int, total: int, per_page: int) -> PageWindow:
        """As events and broadcast history count today: the page is kept as asked."""
        return cls(page, max(1, math.ceil(total / per_page)))


@dataclass(frozen=True, slots=True)
class PagerTexts:
    """Catalogue keys of the pager; appeals keep their own wording ("appeals.prev")."""

    prev: str = "common.page_prev"
    next: str = "common.page_next"
    counter: str = "common.page_counter"


def _bounds(page: PageInfo) -> tuple[bool, bool, int | None]:
    pages = page.pages if isinstance(page, CountedPage) else None
    if isinstance(page, OpenPage):
        return page.has_prev, page.has_next, pages
    assert pages is not None
    return page.page > 0, page.page + 1 < pages, pages


def pager_row(page: PageInfo, action_for_page: Callable[[int], Action], tr: Translate, *,
              texts: PagerTexts = PagerTexts(), counter: bool = False) -> tuple[Button, ...]:
    """The buttons to other pages; empty when everything fits on one page.

    With ``counter=True`` (and a known page count) a "k/n" button sits between them; it
    re-opens the current page, so pressing it is harmless.
    """
    has_prev, has_next, pages = _bounds(page)
    if not (has_prev or has_next):
        return ()
    row: list[Button] = []
    if has_prev:
        row.append(Button(tr(texts.prev), action_for_page(page.page - 1)))
    if counter and pages is not None:
        row.append(Button(tr(texts.counter, page=page.page + 1, pages=pages),
                          action_for_page(page.page)))
    if has_next:
        row.append(Button(tr(texts.next), action_for_page(page.page + 1)))
    return tuple(row)


def page_slice(count: int, page: int, per_page: int) -> tuple[range, PageWindow]:
    """The positions (0-based) of the items on `page` of `count`, and its window; a page
    past either end shows the nearest one (a button from a longer list)."""
    page, pages = page_bounds(count, page, per_page)
    return range(page * per_page, min(count, (page + 1) * per_page)), PageWindow(page, pages)


# Two a row: with the pager and a few rows below (don't know, back, menu), within the 24
# buttons Viber shows.
CHOICES_PAGE = 16


def choices_page(names: Sequence[str], choose: Callable[[int], Action],
                 turn: Callable[[int], Action], tr: Translate, *, page: int | None = None,
                 current: str | None = None, per_page: int = CHOICES_PAGE) -> Keyboard:
    """The names a page at a time, two a row (choice k is the k-th name, from 1; the current
    one marked 📍), then the pager; `page` None opens at the current one's page."""
    if page is None:
        page = names.index(current) // per_page if current in names else 0
    shown, window = page_slice(len(names), page, per_page)
    keyboard = Keyboard()
    for k in shown:
        keyboard.add(Button(("📍 " if names[k] == current else "") + names[k], choose(k + 1)))
    keyboard.adjust(2)
    return keyboard.row(*pager_row(window, turn, tr, counter=True))
