"""`show(event, screen)`: hand a screen to the renderer of the channel the event came from.

Channels register their renderer at start-up (bot/channels/ do; handlers never import bot/):
``register_renderer(bot_id, renderer)`` for one bot, or a predicate over the event. The
newest registration that matches wins; without one, the default renderer shows the screen
(the Telegram channel sets it when it builds its bot: ``set_default_renderer``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiogram.types import CallbackQuery, Chat, Message

from handlers.kit.screen import Screen

Event = Message | CallbackQuery
Matcher = int | Callable[[Event], bool]


class Shown(Protocol):
    """Which message a screen was shown in: what a channel's renderer tells of it."""

    @property
    def message_id(self) -> int: ...

    @property
    def chat(self) -> Chat: ...


class Renderer(Protocol):
    async def show(self, event: Event, screen: Screen) -> Shown | None: ...


_default: list[Renderer] = []  # at most one: the renderer of events nobody registered for
_renderers: list[tuple[Matcher, Renderer]] = []


def set_default_renderer(renderer: Renderer) -> None:
    """Show screens of events no registration matches with `renderer`."""
    _default[:] = [renderer]


def register_renderer(match: Matcher, renderer: Renderer) -> Callable[[], None]:
    """Use `renderer` for events of bot `match` (its id) or matching it; returns an undo."""
    entry = (match, renderer)
    _renderers.append(entry)

    def unregister() -> None:
        for i, existing in enumerate(_renderers):
            if existing is entry:
                del _renderers[i]
                return

    return unregister


def _matches(match: Matcher, event: Event) -> bool:
    if isinstance(match, int):
        return event.bot is not None and event.bot.id == match
    return match(event)


def renderer_for(event: Event) -> Renderer:
    for match, renderer in reversed(_renderers):
        if _matches(match, event):
            return renderer
    if not _default:
        raise RuntimeError("no channel has set a renderer for screens (see set_default_renderer)")
    return _default[0]


async def show(event: Event, screen: Screen) -> Shown | None:
    """Edit the pressed message in place, or answer a typed message (channel permitting)."""
    return await renderer_for(event).show(event, screen)
