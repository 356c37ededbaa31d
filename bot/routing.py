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
- A router with no handler of an event at all (no press handler in a commands-only router)
  is skipped for that event, as aiogram would find nothing in it.
- The gate is checked before aiogram wraps the event for the router: a router visit that
  fails its gate through aiogram's wrapping, root filters and the copies of the update's
  data they make cost ~45 us on the benchmark machine (a message visited 8.7 routers),
  against ~2 us checked first. The parent checks it before calling the router at all
  (aiogram's loop copies the data into every sub-router's call), and a router that passes
  goes straight to its handlers, without aiogram wrapping it in its (no) outer middlewares.
  A router with outer middlewares of its own keeps the aiogram path, as they must run
  whatever its filters say.
- Within a router, each handler first gets the gate of its own filters (its prefix, its
  commands or its states): a handler it refuses is passed by without building its filters'
  arguments, the rest are checked by aiogram as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from inspect import isclass
from typing import Any, Protocol

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.kit.aiogram_filters import DeepLink


def speed_up_routing(dispatcher: Router) -> None:
    _run_sync_callbacks_inline(dispatcher)
    for router in dispatcher.sub_routers:
        _gate(router, "callback_query", _prefix_gate)
        _gate(router, "message", _command_gate)
    _check_handlers_quickly(dispatcher)


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


class Gate(Protocol):
    def passes(self, event: Any, raw_state: str | None) -> bool: ...


class NothingHere:
    """The gate of a router without any handler of the event."""

    def passes(self, event: Any, raw_state: str | None) -> bool:
        return False


class CallbackPrefixGate(Filter):
    """Passes a press whose data starts with one of `prefixes` (per separator), or any press
    in one of `states`."""

    def __init__(self, prefixes: dict[str, frozenset[str]], states: States = frozenset()
                 ) -> None:
        self.prefixes = prefixes
        self.states = states

    async def __call__(self, query: CallbackQuery, raw_state: str | None = None) -> bool:
        return self.passes(query, raw_state)

    def passes(self, query: CallbackQuery, raw_state: str | None) -> bool:
        if raw_state in self.states:
            return True
        data = query.data
        if not data:
            return False
        return any(data.split(sep, 1)[0] in names for sep, names in self.prefixes.items())


Gates = Callable[[list[Any]], Gate | None]
Propagate = Callable[..., Awaitable[Any]]


class GatedRouter:
    """Stands in for a router's `propagate_event`: an event its gate refuses is unhandled at
    once, as it would be with the gate as the router's first root filter. An event without
    outer middlewares in the router goes straight to aiogram's `_propagate_event`, as its
    `propagate_event` does after wrapping it in no middleware at all."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.propagate: Propagate = router.propagate_event
        self.gates: dict[str, Gate] = {}

    async def __call__(self, update_type: str, event: Any, **kwargs: Any) -> Any:
        gate = self.gates.get(update_type)
        if gate is not None and not gate.passes(event, kwargs.get("raw_state")):
            return UNHANDLED
        observer = self.router.observers.get(update_type)
        if observer is not None and observer.outer_middleware:
            return await self.propagate(update_type=update_type, event=event, **kwargs)
        kwargs["event_router"] = self.router
        return await self.router._propagate_event(
            observer=observer, update_type=update_type, event=event, **kwargs)


class SubRoutersGated:
    """Stands in for a router's `_propagate_event`, doing what aiogram's does, except that
    each sub-router's gate is checked before the event's data is copied into its call
    (aiogram passes the whole data as keywords to every sub-router in turn)."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, observer: Any, update_type: str, event: Any, **kwargs: Any
                       ) -> Any:
        response = UNHANDLED
        if observer:
            result, data = await observer.check_root_filters(event, **kwargs)
            if not result:
                return UNHANDLED
            kwargs.update(data)
            response = await observer.trigger(event, **kwargs)
            if response is REJECTED:
                return UNHANDLED
            if response is not UNHANDLED:
                return response
        raw_state = kwargs.get("raw_state")
        for router in self.router.sub_routers:
            gate = gates_of(router).get(update_type)
            if gate is not None and not gate.passes(event, raw_state):
                continue
            response = await router.propagate_event(update_type=update_type, event=event,
                                                    **kwargs)
            if response is not UNHANDLED:
                break
        return response


def gates_of(router: Router) -> dict[str, Gate]:
    """The gates `speed_up_routing` gave the router, by event."""
    gated = vars(router).get("propagate_event")
    return gated.gates if isinstance(gated, GatedRouter) else {}


def _gate(router: Router, event: str, gate_for: Gates) -> None:
    """Gate the router's `event` when every handler of it in the router and below needs
    what `gate_for` finds (a refused event skips the sub-routers too); else try its
    sub-routers alone."""
    if router.observers[event].outer_middleware:
        return  # its middlewares see every event: aiogram's path
    if event in gates_of(router):
        _check_gates_first(router.parent_router)
        return  # a router module shared by two dispatchers (tests) is gated once
    handlers = list(_handlers(router, event))
    gate: Gate | None
    if handlers:
        gate = gate_for(handlers)
    else:
        gate = NothingHere() if not _any_outer_middleware(router, event) else None
    if gate is not None:
        gated = vars(router).get("propagate_event")
        if not isinstance(gated, GatedRouter):
            gated = GatedRouter(router)
            router.propagate_event = gated  # type: ignore[method-assign]
        gated.gates[event] = gate
        _check_gates_first(router.parent_router)
        return
    for sub_router in router.sub_routers:
        _gate(sub_router, event, gate_for)


def _check_gates_first(parent: Router | None) -> None:
    if parent is not None and not isinstance(vars(parent).get("_propagate_event"),
                                             SubRoutersGated):
        parent._propagate_event = SubRoutersGated(parent)  # type: ignore[method-assign]


def _any_outer_middleware(router: Router, event: str) -> bool:
    return bool(router.observers[event].outer_middleware) or any(
        _any_outer_middleware(sub, event) for sub in router.sub_routers)


class QuickCheck:
    """Stands in for a handler's `check`: what the gate of the handler's own filters refuses
    is refused at once; the rest its filters decide as before."""

    def __init__(self, gate: Gate, check: Callable[..., Awaitable[tuple[bool, dict[str, Any]]]]
                 ) -> None:
        self.gate = gate
        self.check = check

    async def __call__(self, event: Any, **kwargs: Any) -> tuple[bool, dict[str, Any]]:
        if not self.gate.passes(event, kwargs.get("raw_state")):
            return False, kwargs
        return await self.check(event, **kwargs)


def _check_handlers_quickly(router: Router) -> None:
    for event, gate_for in (("callback_query", _prefix_gate), ("message", _command_gate)):
        for handler in router.observers[event].handlers:
            if isinstance(vars(handler).get("check"), QuickCheck):
                continue
            gate = gate_for([handler])
            if gate is not None:
                handler.check = QuickCheck(gate, handler.check)  # type: ignore[method-assign]
    for sub_router in router.sub_routers:
        _check_handlers_quickly(sub_router)


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
        return self.passes(message, raw_state)

    def passes(self, message: Message, raw_state: str | None) -> bool:
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
