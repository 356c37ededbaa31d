"""The routing shortcuts (bot/routing.py) change nothing but the work: a command reaches
the same handler (with a mention too), other text passes the gated routers by."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message

from bot.routing import CallbackPrefixGate, CommandGate, gates_of, speed_up_routing


def _gates(router: Router, kind: type, event: str) -> list[object]:
    gate = gates_of(router).get(event)
    found: list[object] = [gate] if isinstance(gate, kind) else []
    for sub in router.sub_routers:
        found.extend(_gates(sub, kind, event))
    return found


def _message(text: str | None = None, caption: str | None = None) -> Message:
    return Message.model_validate({"message_id": 1, "date": 0, "text": text, "caption": caption,
                                   "chat": Chat(id=1, type="private").model_dump()})


async def test_a_command_gate_passes_its_commands_in_any_case_with_a_mention_only():
    gate = CommandGate(frozenset("/"), frozenset({"menu", "start"}))
    for text in ("/menu", "/Menu", "/menu@HromadaBot", "/start petition_12", "/START"):
        assert await gate(_message(text)), text
    assert await gate(_message(caption="/start"))
    for text in ("menu", "/help", "/", "Меню", " /menu"):
        assert not await gate(_message(text)), text
    assert not await gate(_message())


async def test_routers_of_commands_only_are_gated_and_commands_still_arrive(bot_app):
    commands = _gates(bot_app.dp, CommandGate, "message")
    assert commands, "no router was gated by its commands"
    gated = set().union(*(g.names for g in commands))  # type: ignore[attr-defined]
    assert {"polls", "grant"} <= gated
    assert _gates(bot_app.dp, CallbackPrefixGate, "callback_query")
    olena = bot_app.resident(501)
    await olena.onboard()
    await olena.send("/polls")
    polls_screen = olena.last.text
    assert "Невідома команда" not in polls_screen
    await olena.send(f"/polls@{(await bot_app.bot.me()).username} now")
    assert olena.last.text == polls_screen
    for other in ("/pollsx", "/POLLS"):  # aiogram's Command is case-sensitive: as before
        await olena.send(other)
        assert "Невідома команда" in olena.last.text, other


async def test_a_router_of_dialog_steps_is_gated_by_their_states_and_its_steps_still_arrive(
        bot_app):
    """Onboarding's typed-step handlers need their states: a message outside those dialogs
    skips them by one check, and a stranger going through the steps still gets every one."""
    from aiogram.dispatcher.event.handler import FilterObject
    from aiogram.filters import StateFilter
    from aiogram.fsm.state import State, StatesGroup

    from bot.routing import _command_gate, _prefix_gate

    class Steps(StatesGroup):
        name = State()
        street = State()

    class Handler:
        def __init__(self, *filters: object) -> None:
            self.filters = [FilterObject(f) for f in filters]

    gate = _command_gate([Handler(StateFilter(Steps.name)), Handler(Steps.street)])
    assert gate is not None and gate.states == {"Steps:name", "Steps:street"}
    assert await gate(_message("Петренко"), raw_state="Steps:name")
    assert not await gate(_message("Петренко"), raw_state=None)
    assert not await gate(_message("Петренко"), raw_state="Other:step")
    assert _command_gate([Handler(StateFilter("*"))]) is None  # any state: no gate
    assert _prefix_gate([Handler(Steps)]).states == {"Steps:name", "Steps:street"}
    stated = [g for g in _gates(bot_app.dp, CommandGate, "message") if g.states]
    assert any(s and s.startswith("Onboarding:") for g in stated for s in g.states)

    stranger = bot_app.resident(502)
    await stranger.onboard()  # language, consent, phone, name, address: each step arrives
    await stranger.send("/menu")
    assert "Невідома команда" not in stranger.last.text


class _A(CallbackData, prefix="a"):
    n: int


class _B(CallbackData, prefix="b"):
    n: int


class _C(CallbackData, prefix="c"):
    n: int


def _press(data: str) -> CallbackQuery:
    return CallbackQuery.model_validate({
        "id": "1", "chat_instance": "1", "data": data,
        "from": {"id": 1, "is_bot": False, "first_name": "R"}})


async def test_gated_routers_and_handlers_reach_the_same_handlers_as_aiogram_alone():
    """Gates skip only what aiogram would skip: each press reaches the handler it reached
    without them, and a router with its own outer middleware still sees every press."""
    seen: list[str] = []

    def routers() -> list[Router]:
        first, second, commands = Router(name="first"), Router(name="second"), Router()

        @first.callback_query(_B.filter(F.n == 2))
        async def first_b2(query: CallbackQuery) -> str:
            return "first:b2"

        @first.callback_query(_A.filter())
        async def first_a(query: CallbackQuery) -> str:
            return "first:a"

        @second.callback_query.outer_middleware()
        async def watch(handler: Any, event: CallbackQuery, data: dict[str, Any]) -> Any:
            seen.append(event.data or "")
            return await handler(event, data)

        @second.callback_query(_B.filter())
        async def second_b(query: CallbackQuery) -> str:
            return "second:b"

        @commands.message(Command("help"))
        async def help_(message: Message) -> str:
            return "help"

        # Not gated whole (a press without a prefix may match), its sub-router is: the
        # parent checks that gate itself, and the handler still learns its router.
        mixed, nested = Router(name="mixed"), Router(name="nested")

        @mixed.callback_query(F.data == "plain")
        async def plain_press(query: CallbackQuery, event_router: Router) -> str:
            return f"plain@{event_router.name}"

        @nested.callback_query(_C.filter())
        async def nested_c(query: CallbackQuery, event_router: Router) -> str:
            return f"c@{event_router.name}"

        mixed.include_router(nested)
        return [first, second, commands, mixed]

    plain, gated = Dispatcher(), Dispatcher()
    plain.include_routers(*routers())
    gated.include_routers(*routers())
    speed_up_routing(gated)
    assert isinstance(gates_of(gated.sub_routers[0])["callback_query"], CallbackPrefixGate)
    assert "callback_query" not in gates_of(gated.sub_routers[1])  # its middleware sees all
    assert "callback_query" in gates_of(gated.sub_routers[2])  # no press handler at all
    assert "callback_query" not in gates_of(gated.sub_routers[3])
    assert isinstance(gates_of(gated.sub_routers[3].sub_routers[0])["callback_query"],
                      CallbackPrefixGate)
    outcomes = []
    for dispatcher in (plain, gated):
        seen.clear()
        results = [await dispatcher.propagate_event("callback_query", _press(data),
                                                    raw_state=None)
                   for data in ("a:1", "b:2", "b:3", "zz", "c:4", "plain")]
        outcomes.append((results, list(seen)))
    assert outcomes[1] == outcomes[0]
    assert outcomes[1][0][:3] == ["first:a", "first:b2", "second:b"]
    assert outcomes[1][0][4:] == ["c@nested", "plain@mixed"]
    assert outcomes[1][1] == ["b:3", "zz", "c:4", "plain"]
