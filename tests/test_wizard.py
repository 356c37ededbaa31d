"""The ONE wizard mechanism (handlers/kit/wizard.py): numbering from the declared steps, the
same question again after bad input, back, skip, cancel, a restart in the middle, and the
summary's compare-and-set submit; on a toy dialog through the real dispatcher."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message
from sqlalchemy import func, select

from bot.app import build_bot, build_dispatcher
from bot.features import FEATURES
from handlers.kit.aiogram_wizard import WizardRouter
from handlers.kit.feature import Feature
from handlers.kit.screen import Button, Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from services import drafts
from services.drafts import DraftKind, Owner
from services.errors import InvalidInput
from services.models import Draft
from tests.conftest import BotApp, make_test_settings


@dataclass(frozen=True, slots=True)
class ToyRules:
    colours: tuple[str, ...] = ("red", "green")
    name_max: int = 10


class ToyForm(StatesGroup):
    name = State()
    colour = State()
    note = State()
    summary = State()


def _name(rules: ToyRules, answer: Answer) -> str:
    text = (answer.text or "").strip()
    if not text:
        raise InvalidInput("toy.name_empty")
    if len(text) > rules.name_max:
        raise InvalidInput("toy.name_long")
    return text


def _note(_rules: ToyRules, answer: Answer) -> str:
    if answer.text is None:
        raise InvalidInput("toy.note_not_text")
    return answer.text


async def _submit(turn: Turn[ToyRules], version: int | None) -> dict[str, Any]:
    owner = Owner.for_kind(DraftKind.EVENT, None, turn.actor)
    assert owner is not None
    return (await drafts.claim(turn.session, owner, DraftKind.EVENT, version)).data


def _summary(a: Asking[ToyRules]) -> str:
    return f"summary {a.data.get('name')} {a.data.get('colour', '-')} {a.data.get('note')}"


def toy_wizard(*, with_colour: bool = True) -> Wizard[ToyRules]:
    return Wizard(
        name="toy", kind=DraftKind.EVENT, rules=ToyRules,
        steps=(Step("name", lambda a: "name?", parse=_name),
               Step("colour", lambda a: "colour?", parse=lambda r, a: a.text,
                    options=lambda r: r.colours, skip="toy.no_colour",
                    typed_reason="toy.use_colours", when=lambda r: with_colour),
               Step("note", lambda a: "note?", parse=_note)),
        confirm=Confirm("summary", _summary, submit=_submit,
                        done=lambda a, data: Screen(f"filed {data['name']}")),
        progress=lambda tr, k, n: f"step {k}/{n}",
        labels=Labels(cancel="toy.cancel", submit="toy.submit", use_buttons="toy.buttons",
                      stale="toy.stale", restart="toy.again", back="toy.back"),
        cancelled=lambda a: Screen("cancelled"),
    )


def test_step_numbers_come_from_the_declared_steps():
    rules = ToyRules()
    full, short = toy_wizard(), toy_wizard(with_colour=False)
    assert [full.number(s, rules) for s in full.active(rules)] == [(1, 4), (2, 4), (3, 4),
                                                                  (4, 4)]
    # Without the colour step (e.g. a council without categories) everything renumbers.
    assert short.active(rules) == ["name", "note", "summary"]
    assert short.number("note", rules) == (2, 3) and short.before("note", rules) == "name"
    assert full.after("name", rules) == "colour" and short.after("name", rules) == "note"


def test_a_question_screen_has_the_options_skip_and_a_way_back():
    wizard = toy_wizard()
    asking = Asking(str, ToyRules(), {})  # the key is its own text
    first = wizard.question_screen(asking, "name", reason="too long")
    assert first.text == "too long\n\nstep 1/4\nname?"
    assert [[b.text for b in row] for row in first.rows] == [["toy.cancel"]]  # no back at 1
    colour = wizard.question_screen(asking, "colour")
    assert [[b.text for b in row] for row in colour.rows] == [
        ["red"], ["green"], ["toy.no_colour"], ["toy.back", "toy.cancel"]]
    pick = colour.rows[1][0].action
    assert isinstance(pick, WizardCB) and (pick.action, pick.step, pick.option) == (
        WizardAction.PICK, "colour", 1)
    summary = wizard.summary_screen(Asking(str, ToyRules(), {"name": "Ann"}), version=7)
    submit = summary.rows[0][0].action
    assert isinstance(submit, WizardCB) and submit.version == 7
    assert [[b.text for b in row] for row in summary.rows] == [
        ["toy.submit"], ["toy.again"], ["toy.back", "toy.cancel"]]


def test_the_press_dialogs_options_number_inline_spread_and_dress_the_summary():
    """`joiner`, `fields`, `asides`, `at_last_answer`, `submit_label` and `buttons`."""
    aside = Step("when", lambda a: "when?", parse=lambda r, a: a.text)
    wizard = dataclasses.replace(
        toy_wizard(), joiner=" ", asides=(aside,),
        confirm=dataclasses.replace(toy_wizard().confirm, submit_label=lambda a: "send now",
                                    buttons=lambda a: ((Button("extra", WizardCB(
                                        wizard="toy", action=WizardAction.START)),),)))
    rules, asking = ToyRules(), Asking(str, ToyRules(), {})
    assert wizard.question_screen(asking, "name").text == "step 1/4 name?"
    # An aside is asked without a number, and leads back to the summary.
    assert wizard.question_screen(asking, "when", reason="bad").text == "bad\n\nwhen?"
    assert wizard.after("when", rules) == "summary" and wizard.before("when", rules) is None
    assert wizard.active(rules) == ["name", "colour", "note", "summary"]
    assert "when" in wizard.step_names
    summary = wizard.summary_screen(asking, version=3)
    assert [[b.text for b in row] for row in summary.rows] == [
        ["send now"], ["toy.again"], ["extra"], ["toy.back", "toy.cancel"]]
    # Filed at the last answer: no summary step, the last question is "step 3 of 3".
    last = dataclasses.replace(toy_wizard(), confirm=dataclasses.replace(
        toy_wizard().confirm, at_last_answer=True))
    assert last.active(rules) == ["name", "colour", "note"] and last.number("note", rules) == (
        3, 3)
    assert "summary" not in last.step_names
    spread = Step("name", lambda a: "", parse=_name, fields=lambda v: {"first": v, "n": 1})
    assert spread.values("Ann") == {"first": "Ann", "n": 1}
    assert toy_wizard().steps[0].values("Ann") == {"name": "Ann"}


def test_suggested_answers_a_one_step_dialog_and_what_a_wizard_must_declare():
    """`suggest` (buttons, typing still open), no "step 1 of 1", cancelled xor back_to."""
    asking = Asking(str, ToyRules(), {"latest": "15.01.2027"})
    step = Step("when", lambda a: "when?", parse=lambda r, a: a.text,
                suggest=lambda a: (a.data["latest"],))
    one = dataclasses.replace(toy_wizard(), steps=(step,), confirm=dataclasses.replace(
        toy_wizard().confirm, at_last_answer=True))
    screen = one.question_screen(asking, "when", reason="bad")
    assert screen.text == "bad\n\nwhen?"  # one step: no counter
    assert [[b.text for b in row] for row in screen.rows] == [["15.01.2027"], ["toy.cancel"]]
    suggested = screen.rows[0][0].action
    assert isinstance(suggested, WizardCB) and (suggested.action, suggested.option) == (
        WizardAction.SUGGEST, 0)

    async def back_to(turn: Any, data: Any) -> Screen:
        return Screen("the card")

    with pytest.raises(ValueError, match="cancelled and back_to"):
        dataclasses.replace(toy_wizard(), back_to=back_to)
    with pytest.raises(ValueError, match="cancelled and back_to"):
        dataclasses.replace(toy_wizard(), cancelled=None)
    assert dataclasses.replace(toy_wizard(), cancelled=None, back_to=back_to).back_to is back_to


def test_every_step_needs_a_state():
    class Missing(StatesGroup):
        name = State()

    with pytest.raises(ValueError, match="state"):
        WizardRouter(toy_wizard(), Missing)


@pytest.fixture
async def toy_apps(database_url, sessionmaker, fake_api):
    """Bot processes with the toy dialog; each call is a (re)start on the same database."""
    binding = WizardRouter(toy_wizard(), ToyForm)
    commands = Router(name="toy-commands")

    @commands.message(Command("toy"))
    async def toy(message: Message, **data: Any) -> None:
        await binding.start(message, data)

    toy_feature = Feature(name="toy", routers=lambda: (commands, binding.router),
                          settings=lambda _s: ToyRules())
    apps: list[BotApp] = []

    async def start() -> BotApp:
        settings = make_test_settings(database_url, fake_api.url, None)
        dp = build_dispatcher(settings, sessionmaker, storage=MemoryStorage(),
                              features=(*FEATURES[:1], toy_feature, *FEATURES[1:]))
        apps.append(BotApp(fake_api, dp, build_bot(settings), settings, sessionmaker))
        return apps[-1]

    yield start
    for app in apps:
        await app.bot.session.close()


async def _drafts(sessionmaker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Draft)) or 0


async def test_a_toy_dialog_end_to_end_with_bad_input_back_skip_and_a_restart(toy_apps):
    app = await toy_apps()
    c = app.resident(7001)
    await c.send("/toy")
    assert c.last.text == "step 1/4\nname?"
    replies = await c.send("a name far too long")
    assert replies[-1].text == "toy.name_long\n\nstep 1/4\nname?"
    await c.sticker()
    assert c.last.text == "toy.name_empty\n\nstep 1/4\nname?"
    await c.send("Ann")
    assert c.last.text == "step 2/4\ncolour?"
    await c.send("blue")  # typed where buttons are offered
    assert c.last.text == "toy.use_colours\n\nstep 2/4\ncolour?"
    await c.press("green")
    assert c.last.text == "step 3/4\nnote?"
    await c.press("toy.back")
    assert c.last.text == "step 2/4\ncolour?"
    colour_screen = copy.deepcopy(c.last)  # as an older screen still shows it
    await c.press("toy.no_colour")
    assert c.last.text == "step 3/4\nnote?"
    # A button of a step the dialog has left no longer works.
    await c.press("red", colour_screen)
    assert c.last_callback_answers[-1]["text"] == "toy.stale"

    app = await toy_apps()  # a restart: fresh FSM storage, same database
    c = app.resident(7001)
    await c.send("hello")
    assert c.last.text == "step 4/4\nsummary Ann - hello"
    await c.send("more text")
    assert c.last.text == "toy.buttons\n\nstep 4/4\nsummary Ann - hello"
    await c.press("toy.submit")
    assert c.last.text == "filed Ann"
    assert await _drafts(app.sessionmaker) == 0


async def test_cancel_drops_the_draft_and_a_changed_draft_is_shown_again(toy_apps):
    app = await toy_apps()
    c = app.resident(7002)
    await c.send("/toy")
    await c.send("Bob")
    await c.press("red")
    await c.send("first")
    summary = copy.deepcopy(c.last)
    await c.press("toy.back")  # to the note, then a new note: the draft's version moves on
    await c.send("second")
    [shown] = await c.press("toy.submit", summary)  # the older summary, edited in place
    assert "змінено з іншого пристрою" in shown.text
    assert shown.text.endswith("\n\nstep 4/4\nsummary Bob red second")
    assert await _drafts(app.sessionmaker) == 1
    await c.press("toy.cancel")
    assert c.last.text == "cancelled"
    assert await _drafts(app.sessionmaker) == 0
    await c.press("toy.submit", summary)
    assert c.last_callback_answers[-1]["text"] == "toy.stale"
