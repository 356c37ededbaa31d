"""Cheaper routing, same outcome: what aiogram does on the way to a handler, minus waste.

- aiogram calls a plain (non-async) filter or handler through `asyncio.to_thread` at every
  check: each `F.text`-style magic filter tried cost a thread-pool hop. They are pure and
  quick, so they run in the loop, as async callables taking the same arguments (aiogram read
  the parameters it passes from the original).
- A button press walks every feature's handlers until one matches; each `SomeCB.filter()` on
  the way splits the data and raises and catches an error for a foreign prefix (a sign tap
  tried 53 handlers). A router whose every callback handler needs one of a few prefixes gets
  a first check of the prefix, so a foreign press skips it whole, as its handlers would.
- Typed messages likewise: a router whose every message handler needs a command (aiogram's
  `Command`, `CommandStart` or our `DeepLink`) gets a first check of the command's name, so
  "/menu" or a typed answer skips the routers of other commands without parsing it for each.
- A handler may instead need a dialog state (a typed answer to a step): the gate then also
  passes the states its handlers need, so a message or press outside those dialogs skips
  the router whole (a stranger's "/start" walked 57 handlers of dialogs he was not in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from inspect import isclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject, FilterObject
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.kit.aiogram_filters import DeepLink


def speed_up_routing(dispatcher: Router) -> None:
    _run_sync_callbacks_inline(dispatcher)
    for router in dispatcher.sub_routers:
        _gate(router, "callback_query", CallbackPrefixGate, _prefix_gate)
        _gate(router, "message", CommandGate, _command_gate)


def _run_sync_callbacks_inline(router: Router) -> None:
    for observer in router.observers.values():
        for handler in observer.handlers:
            for callable_ in (handler, *(handler.filters or ())):
                _inline(callable_)
        for filter_ in observer._handler.filters or ():
            _inline(filter_)
    for sub_router in router.sub_routers:
        _run_sync_callbacks_inline(sub_router)


def _inline(callable_: CallableObject) -> None:
    if callable_.awaitable:
        return
    function = callable_.callback

    async def run_inline(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    callable_.callback = run_inline
    callable_.awaitable = True


States = frozenset[str | None]  # dialog states (None: in no dialog)


class CallbackPrefixGate(Filter):
    """Passes a press whose data starts with one of `prefixes` (per separator), or any press
    in one of `states`."""

    def __init__(self, prefixes: dict[str, frozenset[str]], states: States = frozenset()
                 ) -> None:
        self.prefixes = prefixes
        self.states = states

    async def __call__(self, query: CallbackQuery, raw_state: str | None = None) -> bool:
        if raw_state in self.states:
            return True
        data = query.data
        if not data:
            return False
        return any(data.split(sep, 1)[0] in names for sep, names in self.prefixes.items())


Gates = Callable[[list[Any]], Filter | None]


def _gate(router: Router, event: str, kind: type[Filter], gate_for: Gates) -> None:
    """Gate the router's `event` when every handler of it in the router and below needs
    what `gate_for` finds (root filters that fail skip the sub-routers too); else try its
    sub-routers alone."""
    observer = router.observers[event]
    if any(isinstance(f.callback, kind) for f in observer._handler.filters or ()):
        return  # a router module shared by two dispatchers (tests) is gated once
    gate = gate_for(list(_handlers(router, event)))
    if gate is not None:
        observer._handler.filters = [FilterObject(gate), *(observer._handler.filters or ())]
        return
    for sub_router in router.sub_routers:
        _gate(sub_router, event, kind, gate_for)


def _prefix_gate(handlers: list[Any]) -> CallbackPrefixGate | None:
    prefixes: dict[str, set[str]] = {}
    states: set[str | None] = set()
    if not handlers or not all(_add_prefixes(h.filters or (), prefixes)
                               or _add_states(h.filters or (), states) for h in handlers):
        return None
    return CallbackPrefixGate({sep: frozenset(names) for sep, names in prefixes.items()},
                              frozenset(states))


def _handlers(router: Router, event: str) -> Iterator[Any]:
    yield from router.observers[event].handlers
    for sub_router in router.sub_routers:
        yield from _handlers(sub_router, event)


def _add_prefixes(filters: Any, prefixes: dict[str, set[str]]) -> bool:
    """Note the prefix a handler needs; False when it may take a press without one."""
    for filter_ in filters:
        callback = filter_.callback
        if isinstance(callback, CallbackQueryFilter):
            data = callback.callback_data
            prefixes.setdefault(data.__separator__, set()).add(data.__prefix__)
            return True
    return False


class CommandGate(Filter):
    """Passes a message whose text (or caption) is one of `names` after one of `prefixes`
    (any case, any @mention: the handlers' own filters decide those), or any message in one
    of `states`."""

    def __init__(self, prefixes: frozenset[str], names: frozenset[str],
                 states: States = frozenset()) -> None:
        self.prefixes = prefixes
        self.names = names
        self.states = states

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state in self.states:
            return True
        text = message.text or message.caption
        if not text or text[0] not in self.prefixes:
            return False
        word = text[1:].split(maxsplit=1)[0] if len(text) > 1 else ""
        return word.partition("@")[0].casefold() in self.names


def _command_gate(handlers: list[Any]) -> CommandGate | None:
    prefixes: set[str] = set()
    names: set[str] = set()
    states: set[str | None] = set()
    if not handlers or not all(_add_command(h.filters or (), prefixes, names)
                               or _add_states(h.filters or (), states) for h in handlers):
        return None
    return CommandGate(frozenset(prefixes), frozenset(names), frozenset(states))


def _add_command(filters: Any, prefixes: set[str], names: set[str]) -> bool:
    """Note the commands a handler needs; False when it may take other text (a pattern)."""
    for filter_ in filters:
        callback = filter_.callback
        if isinstance(callback, DeepLink):
            prefixes.add("/")
            names.add("start")
            return True
        if isinstance(callback, Command):
            if not all(isinstance(c, str) for c in callback.commands):
                return False  # a regular expression: no name to check up front
            prefixes.update(callback.prefix)
            names.update(str(c).casefold() for c in callback.commands)
            return True
    return False


def _add_states(filters: Any, states: set[str | None]) -> bool:
    """Note the dialog states a handler needs; False when it may run in any state."""
    for filter_ in filters:
        needed = _states_of(filter_.callback)
        if needed is not None:
            states.update(needed)
            return True
    return False


def _states_of(callback: Any) -> States | None:
    """The states a state filter passes; None for any other filter or for any state."""
    if isinstance(callback, StateFilter):
        found: set[str | None] = set()
        for state in callback.states:
            names = _state_names(state)
            if names is None:
                return None
            found.update(names)
        return frozenset(found)
    if isinstance(callback, State | StatesGroup) or (
            isclass(callback) and issubclass(callback, StatesGroup)):
        return _state_names(callback)
    return None


def _state_names(state: Any) -> States | None:
    """As aiogram's StateFilter matches `state` against the raw state; None: any state."""
    if state is None or isinstance(state, str):
        return None if state == "*" else frozenset({state})
    if isinstance(state, State):
        return None if state.state == "*" else frozenset({state.state})
    group = type(state) if isinstance(state, StatesGroup) else state
    if isclass(group) and issubclass(group, StatesGroup):
        return frozenset(group.__all_states_names__)
    return None
