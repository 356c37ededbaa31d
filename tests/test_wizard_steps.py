"""What the wizard grew for the appeal dialog, on a toy dialog through the real dispatcher:
a collecting step (its notice, "done", "clear"), a keep button, a check inside a step, a
notice before the summary shown once per value, and the first step's back leading out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message

from bot.app import build_bot, build_dispatcher
from bot.features import FEATURES
from handlers.core import MenuCB
from handlers.kit.aiogram_wizard import WizardRouter
from handlers.kit.feature import Feature
from handlers.kit.screen import Screen
from handlers.kit.wizard import Answer, Asking, Check, Confirm, Labels, Notice, Step, Turn, Wizard
from services import drafts
from services.drafts import DraftKind, Owner
from services.errors import InvalidInput
from services.models import Draft
from tests.conftest import BotApp, make_test_settings


@dataclass(frozen=True, slots=True)
class BasketRules:
    big: int = 10


class BasketForm(StatesGroup):
    note = State()
    items = State()
    size = State()
    summary = State()


def _owner(turn: Turn[BasketRules]) -> Owner:
    owner = Owner.for_kind(DraftKind.EVENT, None, turn.actor)
    assert owner is not None
    return owner


async def _add_item(turn: Turn[BasketRules], answer: Answer) -> str:
    if not answer.text:
        raise InvalidInput("toy.item_empty")
    draft = await drafts.change(turn.session, _owner(turn), DraftKind.EVENT,
                                lambda d: {**d, "items": [*d.get("items", []), answer.text]})
    return f"{len(draft.data['items'])} items"


def _size(_rules: BasketRules, answer: Answer) -> int:
    if not (answer.text or "").isdigit():
        raise InvalidInput("toy.not_a_number")
    return int(answer.text or "")


async def _notice(turn: Turn[BasketRules], draft: Draft) -> tuple[str, Any] | None:
    note = draft.data.get("note")
    return (f"notice for {note}", ()) if note == "dup" else None


async def _submit(turn: Turn[BasketRules], version: int | None) -> dict[str, Any]:
    return (await drafts.claim(turn.session, _owner(turn), DraftKind.EVENT, version)).data


def _summary(a: Asking[BasketRules]) -> str:
    return f"summary {a.data.get('note')} {len(a.data.get('items', []))} {a.data.get('size')}"


basket = Wizard(
    name="basket", kind=DraftKind.EVENT, rules=BasketRules,
    steps=(Step("note", lambda a: "note?", parse=lambda r, a: a.text or "",
                fields=lambda value: {"note": value, "seen": None},
                keep=lambda a: "toy.keep" if a.data.get("note") else ""),
           Step("items", lambda a: "items?", collect=_add_item, clear="toy.clear",
                keep=lambda a: "toy.done" if a.data.get("items") else "toy.none"),
           Step("size", lambda a: "size?", parse=_size,
                check=Check(lambda rules, value: value > rules.big, question="toy.big",
                            yes="toy.yes", again="toy.other"))),
    confirm=Confirm("summary", _summary, submit=_submit,
                    done=lambda a, data: Screen(f"filed {data['note']}"),
                    notice=Notice("seen", _notice, go_on="toy.go_on")),
    progress=lambda tr, k, n: f"step {k}/{n}",
    labels=Labels(cancel="toy.cancel", submit="toy.submit", use_buttons="toy.buttons",
                  stale="toy.stale", back="toy.back"),
    cancelled=lambda a: Screen("cancelled"),
    leave=MenuCB(section="main"),
)


@pytest.fixture
async def basket_app(database_url, sessionmaker, fake_api):
    binding = WizardRouter(basket, BasketForm)
    commands = Router(name="basket-commands")

    @commands.message(Command("basket"))
    async def start(message: Message, **data: Any) -> None:
        await binding.start(message, data)

    feature = Feature(name="basket", routers=lambda: (commands, binding.router),
                      settings=lambda _s: BasketRules())
    settings = make_test_settings(database_url, fake_api.url, None)
    dp = build_dispatcher(settings, sessionmaker, storage=MemoryStorage(),
                          features=(*FEATURES[:1], feature, *FEATURES[1:]))
    app = BotApp(fake_api, dp, build_bot(settings), settings, sessionmaker)
    yield app
    await app.bot.session.close()


def _rows(sent: Any) -> list[list[str]]:
    return [[b["text"] for b in row] for row in sent.reply_markup["inline_keyboard"]]


async def test_collect_keep_clear_check_notice_and_leave(basket_app):
    c = basket_app.resident(7101)
    await c.send("/basket")
    assert c.last.text == "step 1/4\nnote?" and _rows(c.last) == [["toy.back", "toy.cancel"]]
    assert c.last.button("toy.back")["callback_data"] == MenuCB(section="main").pack()
    await c.send("dup")
    assert _rows(c.last) == [["toy.none"], ["toy.back", "toy.cancel"]]
    [added] = await c.send("apple")
    assert added.text == "1 items"
    assert _rows(added) == [["toy.done"], ["toy.clear"], ["toy.back", "toy.cancel"]]
    await c.sticker()
    assert c.last.text == "toy.item_empty\n\nstep 2/4\nitems?"
    assert (await c.send("pear"))[-1].text == "2 items"
    await c.press("toy.clear")
    assert c.last.text == "step 2/4\nitems?" and _rows(c.last)[0] == ["toy.none"]
    await c.send("plum")
    await c.press("toy.done")
    assert c.last.text == "step 3/4\nsize?"
    [asked] = await c.send("12")
    assert asked.text == "toy.big" and _rows(asked) == [["toy.yes"], ["toy.other"],
                                                         ["toy.cancel"]]
    await c.press("toy.other")
    assert c.last.text == "step 3/4\nsize?"
    await c.send("12")
    await c.press("toy.yes")
    assert c.last.text == "step 4/4\nnotice for dup"
    assert _rows(c.last) == [["toy.go_on"], ["toy.back", "toy.cancel"]]
    await c.press("toy.go_on")
    assert c.last.text == "step 4/4\nsummary dup 1 12"
    for _ in range(3):
        await c.press("toy.back")
    assert c.last.text == "step 1/4\nnote?" and _rows(c.last)[0] == ["toy.keep"]
    await c.press("toy.keep")
    await c.press("toy.done")
    await c.send("3")
    assert c.last.text == "step 4/4\nsummary dup 1 3"  # seen once: not shown again
    for _ in range(3):
        await c.press("toy.back")
    await c.send("dup")  # the same note typed anew: the notice comes back
    await c.press("toy.done")
    await c.send("3")
    assert c.last.text == "step 4/4\nnotice for dup"
    await c.press("toy.go_on")
    await c.press("toy.submit")
    assert c.last.text == "filed dup"
