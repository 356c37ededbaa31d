"""The routing shortcuts (bot/routing.py) change nothing but the work: a command reaches
the same handler (with a mention too), other text passes the gated routers by."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Chat, Message

from bot.routing import CallbackPrefixGate, CommandGate


def _gates(router: Router, kind: type, event: str) -> list[object]:
    found = [f.callback for f in router.observers[event]._handler.filters or ()
             if isinstance(f.callback, kind)]
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
