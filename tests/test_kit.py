"""The channel-neutral UI kit: screens, keyboards, the pager, Telegram rendering and show()."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.kit import show as show_module
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic, Task
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import PagerTexts, PageWindow, pager_row
from handlers.kit.render_aiogram import inline_markup, markup_for, telegram_links
from handlers.kit.screen import (
    Button,
    DeepLink,
    InputRequest,
    Media,
    MediaKind,
    RequestKind,
    Screen,
    Share,
)
from handlers.kit.show import Shown as ShownOnScreen
from handlers.kit.show import register_renderer, show
from services import appeals, petitions
from services.i18n import Translator
from services.jobs import daily_at
from services.models import Role
from tests.fakes.telegram_api import BOT_USERNAME

tr = Translator().for_language("uk")
en = Translator().for_language("en")


class KitCB(CallbackData, prefix="kt"):
    step: int
    note: str = ""


def act(step: int) -> KitCB:
    return KitCB(step=step)


# ---- screen values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Packed:
    value: str

    def pack(self) -> str:
        return self.value


def test_a_button_has_exactly_one_target():
    cases: list[dict[str, Any]] = [{}, {"action": act(1), "url": "https://rada.example"},
                                   {"link": DeepLink("p_1"), "share": Share("x")}]
    for targets in cases:
        with pytest.raises(ValueError, match="exactly one target"):
            Button("Open", **targets)
    assert Button("Open", url="https://rada.example").url == "https://rada.example"


@pytest.mark.parametrize("kwargs", [
    {"text": " ", "action": act(1)},
    {"text": "Open", "url": "javascript:alert(1)"},
    {"text": "Open", "action": Packed("")},
    {"text": "Open", "action": Packed("x" * 65)},
    {"text": "Open", "action": Packed("ї" * 33)},  # 66 bytes: the limit counts bytes
])
def test_a_button_is_checked_when_made(kwargs: dict[str, Any]):
    with pytest.raises(ValueError):
        Button(**kwargs)


def test_callback_data_limit_holds_for_real_callback_data():
    assert Button("ok", Packed("ї" * 32)).action is not None  # exactly 64 bytes
    with pytest.raises(ValueError):
        Button("Too long", KitCB(step=1, note="n" * 70))


@pytest.mark.parametrize("payload", ["", "petition 12", "x" * 65, "петиція"])
def test_deep_link_payload_follows_telegram_rules(payload: str):
    with pytest.raises(ValueError):
        DeepLink(payload)


def test_media_and_input_request_are_checked():
    with pytest.raises(ValueError):
        Media(MediaKind.PHOTO)
    with pytest.raises(ValueError):
        Media(MediaKind.PHOTO, file="f", data=b"x", filename="a.png")
    with pytest.raises(ValueError):
        Media(MediaKind.DOCUMENT, data=b"x")
    with pytest.raises(ValueError):
        InputRequest(RequestKind.PHONE, "")
    with pytest.raises(ValueError):
        Share("")


def test_a_screen_carries_one_keyboard_and_valid_rows():
    request = InputRequest(RequestKind.PHONE, "Share")
    with pytest.raises(ValueError):
        Screen("x", rows=((Button("a", act(1)),),), request=request)
    with pytest.raises(ValueError):
        Screen("x", request=request, remove_reply_keyboard=True)
    with pytest.raises(ValueError):
        Screen("x", rows=((),))
    with pytest.raises(ValueError):
        Screen("x", rows=(tuple(Button(str(i), act(i)) for i in range(9)),))
    with pytest.raises(ValueError):
        Screen("x", rows=tuple((Button(str(i), act(i)),) for i in range(101)))
    with pytest.raises(ValueError):
        Screen("")
    assert Screen("", media=Media(MediaKind.PHOTO, file="f")).text == ""
    listed = Screen("x", rows=[[Button("a", act(1))]])  # type: ignore[arg-type]
    assert listed.rows == ((Button("a", act(1)),),)


# ---- keyboard --------------------------------------------------------------------------------


def _texts(rows: tuple[tuple[Button, ...], ...]) -> list[list[str]]:
    return [[b.text for b in row] for row in rows]


@pytest.mark.parametrize(("count", "sizes", "repeat"), [
    (5, (2,), False), (7, (3, 1), False), (7, (2, 1), True), (3, (), False), (1, (4,), False),
])
def test_adjust_lays_out_like_aiogram(count: int, sizes: tuple[int, ...], repeat: bool):
    ours = Keyboard().add(*(Button(str(i), act(i)) for i in range(count)))
    ours.adjust(*sizes, repeat=repeat)
    theirs = InlineKeyboardBuilder()
    for i in range(count):
        theirs.button(text=str(i), callback_data=act(i))
    theirs.adjust(*sizes, repeat=repeat)
    assert _texts(ours.build()) == [[b.text for b in row] for row in theirs.export()]


def test_fixed_rows_stay_put_and_helpers_take_their_action():
    rows = (Keyboard()
            .add(*(Button(f"item {i}", act(i)) for i in range(3)), None).adjust(2)
            .row(Button("prev", act(10)), None, Button("next", act(11)))
            .row()
            .add(Button("single", act(5)))
            .nav(tr, back=act(20), cancel=act(21))
            .back(act(22), tr)
            .cancel(act(23), en)
            .menu(act(24), tr, key="menu.back_to_menu")
            .back(act(25), tr, key="petition.btn.back_list")
            .build())
    assert _texts(rows) == [
        ["item 0", "item 1"], ["item 2"], ["prev", "next"], ["single"],
        ["⬅️ Назад", "✖️ Скасувати"], ["⬅️ Назад"], ["✖️ Cancel"], ["🏠 Головне меню"],
        ["⬅️ До списку"],
    ]
    assert [b.action for b in rows[4]] == [act(20), act(21)]
    assert rows[-1][0].action == act(25)
    assert Keyboard().nav(tr).build() == ()
    with pytest.raises(ValueError):
        Keyboard().adjust(9)


# ---- pager -----------------------------------------------------------------------------------


def _pager(page: Any, **kwargs: Any) -> list[tuple[str, int]]:
    return [(b.text, b.action.step) for b in pager_row(page, act, tr, **kwargs)]  # type: ignore[union-attr]


def test_pager_for_the_appeals_page_contract():
    def page(n: int, total: int = 12) -> appeals.Page:
        return appeals.Page(items=[], total=total, page=n, per_page=5)

    assert _pager(page(0)) == [("Далі ▶️", 1)]
    assert _pager(page(1)) == [("◀️ Назад", 0), ("Далі ▶️", 2)]
    assert _pager(page(2)) == [("◀️ Назад", 1)]
    assert _pager(page(0, total=5)) == []
    assert _pager(page(0, total=0), counter=True) == []
    keys = PagerTexts(prev="appeals.prev", next="appeals.next")
    assert _pager(page(1), texts=keys) == [("⬅️ Попередні", 0), ("Наступні ➡️", 2)]


def test_pager_for_the_petitions_page_contract_with_counter():
    def page(n: int) -> petitions.Page:
        return petitions.Page(items=[], page=n, pages=3, total=12)

    assert _pager(page(0), counter=True) == [("1/3", 0), ("Далі ▶️", 1)]
    assert _pager(page(1), counter=True) == [("◀️ Назад", 0), ("2/3", 1), ("Далі ▶️", 2)]
    assert _pager(page(2), counter=True) == [("◀️ Назад", 1), ("3/3", 2)]


def test_pager_for_offset_listings_keeps_the_page_asked():
    assert PageWindow.from_total(0, 0, 5) == PageWindow(0, 1)
    assert PageWindow.from_total(1, 11, 5) == PageWindow(1, 3)
    assert _pager(PageWindow.from_total(0, 5, 5)) == []
    # A stale button past the end still offers the way back, as events do today.
    assert _pager(PageWindow.from_total(4, 11, 5)) == [("◀️ Назад", 3)]


def test_pager_without_a_known_total():
    @dataclass(frozen=True)
    class Keyset:
        page: int
        has_prev: bool
        has_next: bool

    assert _pager(Keyset(3, True, True), counter=True) == [("◀️ Назад", 2), ("Далі ▶️", 4)]
    assert _pager(Keyset(0, False, False)) == []
    assert [b.text for b in pager_row(Keyset(0, False, True), act, en)] == ["Next ▶️"]


# ---- Telegram rendering ----------------------------------------------------------------------

LINKS = telegram_links(BOT_USERNAME)


def test_every_button_kind_renders_to_its_telegram_button():
    rows = (
        (Button("Act", act(3)), Button("Site", url="https://rada.example/x")),
        (Button("Open", link=DeepLink("petition_12")),),
        (Button("Share", share=Share("Ремонт & дороги", DeepLink("petition_12"))),),
        (Button("Ask", share=Share("petitions")),),
    )
    markup = inline_markup(rows, LINKS)
    link = f"https://t.me/{BOT_USERNAME}?start=petition_12"
    assert markup == InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Act", callback_data="kt:3:"),
         InlineKeyboardButton(text="Site", url="https://rada.example/x")],
        [InlineKeyboardButton(text="Open", url=link)],
        [InlineKeyboardButton(
            text="Share",
            url="https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fhromada_test_bot%3Fstart%3D"
                "petition_12&text=%D0%A0%D0%B5%D0%BC%D0%BE%D0%BD%D1%82%20%26%20%D0%B4%D0%BE"
                "%D1%80%D0%BE%D0%B3%D0%B8")],
        [InlineKeyboardButton(text="Ask", switch_inline_query="petitions")],
    ])
    assert inline_markup(()) is None
    with pytest.raises(ValueError, match="link builder"):
        inline_markup(rows)
    with pytest.raises(ValueError):
        telegram_links("")


def test_input_requests_and_keyboard_removal_render_to_reply_keyboards():
    phone = Screen("Phone?", request=InputRequest(RequestKind.PHONE, "📱 Share"))
    assert markup_for(phone) == ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📱 Share", request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True)
    place = Screen("Where?", request=InputRequest(RequestKind.LOCATION, "📍 Here",
                                                   skip="Skip", cancel="Cancel"))
    assert markup_for(place) == ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📍 Here", request_location=True)],
                  [KeyboardButton(text="Skip"), KeyboardButton(text="Cancel")]],
        resize_keyboard=True, one_time_keyboard=True)
    only_skip = InputRequest(RequestKind.LOCATION, "📍", skip="Skip")
    assert markup_for(Screen("?", request=only_skip)).keyboard[1] == [  # type: ignore[union-attr]
        KeyboardButton(text="Skip")]
    assert markup_for(Screen("Done", remove_reply_keyboard=True)) == ReplyKeyboardRemove()
    assert markup_for(Screen("Plain")) is None


# ---- feature declarations --------------------------------------------------------------------


async def _job(*_args: Any) -> None:
    return None


def test_feature_declaration_defaults_and_checks():
    feature = Feature(
        name="appeals", routers=list,
        menu=MenuEntry("appeals", order=10),
        commands=(Command("appeal"), Command("appeals_export", staff=Role.MODERATOR)),
        jobs=(Task("appeals.followup", _job), Periodic("appeals.digest", daily_at(9), _job)),
        settings=lambda settings: settings,
    )
    assert feature.menu is not None and feature.menu.text_key == "menu.appeals"
    assert [(c.description_key, c.staff) for c in feature.commands] == [
        ("cmd.appeal", None), ("cmd.appeals_export", Role.MODERATOR)]
    assert feature.routers() == []
    for bad in (lambda: Command("Appeal"), lambda: Command("a" * 33),
                lambda: MenuEntry("Appeals", 1), lambda: Feature("", list),
                lambda: Feature("x", list, commands=(Command("a"), Command("a"))),
                lambda: Feature("x", list, jobs=(Task("t", _job), Task("t", _job)))):
        with pytest.raises(ValueError):
            bad()


# ---- show() through the real dispatcher against the fake Bot API -----------------------------


@dataclass
class ShownLog:
    results: list[ShownOnScreen | None]


def _screen(step: int) -> Screen:
    return Screen(f"<b>Step {step}</b>",
                  Keyboard().add(Button(f"Go {step + 1}", act(step + 1))).build())


@pytest.fixture
def kit_bot(bot_app) -> Iterator[tuple[Any, ShownLog]]:
    """The real dispatcher with a router of kit screens put first."""
    shown = ShownLog([])
    router = Router(name="kit-test")
    screens: dict[int, Callable[[int], Screen]] = {
        5: lambda _: Screen("Your photo", media=Media(MediaKind.PHOTO, file="photo-9")),
        6: lambda _: Screen("Phone?", request=InputRequest(RequestKind.PHONE, "📱 Share")),
        7: lambda _: Screen("Petition", rows=((Button("Open", link=DeepLink("petition_12")),),)),
        8: lambda step: Screen(f"<b>Step {step}</b>", new_message=True),
    }

    @router.message(F.text == "kit")
    async def typed(message: Message) -> None:
        shown.results.append(await show(message, _screen(1)))

    @router.message(F.text == "export")
    async def export(message: Message) -> None:
        media = Media(MediaKind.DOCUMENT, data=b"a;b\n", filename="export.csv")
        shown.results.append(await show(message, Screen("Export", media=media)))

    @router.callback_query(KitCB.filter())
    async def pressed(query: CallbackQuery, callback_data: KitCB) -> None:
        screen = screens.get(callback_data.step, _screen)(callback_data.step)
        shown.results.append(await show(query, screen))

    bot_app.dp.include_router(router)
    bot_app.dp.sub_routers.insert(0, bot_app.dp.sub_routers.pop())
    yield bot_app, shown


async def test_a_typed_message_gets_a_new_message(kit_bot):
    app, shown = kit_bot
    c = app.resident(501)
    replies = await c.send("kit")
    assert [r.method for r in replies] == ["sendMessage"]
    assert replies[0].text == "<b>Step 1</b>" and replies[0].params["parse_mode"] == "HTML"
    assert replies[0].buttons == [{"text": "Go 2", "callback_data": "kt:2:"}]
    last = shown.results[-1]
    assert last is not None and (last.chat.id, last.message_id) == (501, replies[0].message_id)


async def test_a_pressed_button_edits_its_message_in_place(kit_bot):
    app, shown = kit_bot
    c = app.resident(502)
    await c.send("kit")
    first = c.last
    replies = await c.press("Go 2")
    assert [r.method for r in replies] == ["editMessageText"]
    assert replies[0].message_id == first.message_id
    assert len(c.sent) == 1 and c.last.text == "<b>Step 2</b>"
    assert c.last.buttons == [{"text": "Go 3", "callback_data": "kt:3:"}]
    assert shown.results[-1] is not None and shown.results[-1].message_id == first.message_id


async def test_a_message_that_cannot_be_edited_gets_a_fresh_one(kit_bot):
    app, shown = kit_bot
    c = app.resident(503)
    await c.send("kit")
    app.fake.fail_next("editMessageText", 400,
                       description="Bad Request: message can't be edited")
    replies = await c.press("Go 2")
    assert [r.method for r in replies] == ["sendMessage"]
    assert len(c.sent) == 2 and c.last.text == "<b>Step 2</b>"
    assert shown.results[-1] is not None and shown.results[-1].message_id == c.last.message_id


async def test_not_modified_is_ignored(kit_bot):
    app, shown = kit_bot
    c = app.resident(504)
    await c.send("kit")
    first = c.last
    app.fake.fail_next("editMessageText", 400, description=(
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same"))
    assert await c.press("Go 2") == []
    assert len(c.sent) == 1
    assert shown.results[-1] is not None and shown.results[-1].message_id == first.message_id


async def test_an_inaccessible_message_gets_a_fresh_one(kit_bot):
    app, _ = kit_bot
    c = app.resident(505)
    await app.feed({"callback_query": {
        "id": "q1", "from": c.user, "chat_instance": "1", "data": act(4).pack(),
        # date 0: Telegram's mark of a message the bot can no longer access.
        "message": {"message_id": 1, "date": 0, "chat": {"id": 505, "type": "private"}},
    }})
    assert [(s.method, s.text) for s in c.sent] == [("sendMessage", "<b>Step 4</b>")]


async def _press_step(app: Any, c: Any, step: int) -> list[Any]:
    """Press a button of step `step` on the newest message."""
    before = len(app.fake.sent)
    await app.feed({"callback_query": {
        "id": str(time.monotonic_ns()), "from": c.user, "chat_instance": "1",
        "data": act(step).pack(),
        "message": {"message_id": c.last.message_id, "date": int(time.time()),
                    "chat": {"id": c.user_id, "type": "private"}, "text": c.last.text or ""},
    }})
    return [s for s in app.fake.sent[before:] if s.chat_id == c.user_id]


async def test_media_request_and_forced_new_screens_from_a_button(kit_bot):
    app, _ = kit_bot
    c = app.resident(507)
    await c.send("kit")
    photo = await _press_step(app, c, 5)
    assert [(s.method, s.params["photo"], s.text) for s in photo] == [
        ("sendPhoto", "photo-9", "Your photo")]
    phone = await _press_step(app, c, 6)
    assert [s.method for s in phone] == ["sendMessage"]
    assert phone[0].reply_markup == {"keyboard": [[{"text": "📱 Share", "request_contact": True}]],
                                     "resize_keyboard": True, "one_time_keyboard": True}
    forced = await _press_step(app, c, 8)
    assert [(s.method, s.text) for s in forced] == [("sendMessage", "<b>Step 8</b>")]
    assert len(c.sent) == 4  # nothing was edited over


async def test_an_upload_and_a_deep_link_through_the_default_renderer(kit_bot):
    app, _ = kit_bot
    c = app.resident(508)
    [document] = await c.send("export")
    assert document.method == "sendDocument"
    assert document.params["document"].startswith("attach://")
    uploads = [v for v in document.params.values() if isinstance(v, dict)]
    assert uploads == [{"filename": "export.csv", "size": 4, "content": b"a;b\n"}]
    await c.send("kit")
    [card] = await _press_step(app, c, 7)
    assert card.buttons == [{"text": "Open",
                             "url": f"https://t.me/{BOT_USERNAME}?start=petition_12"}]


class Recording:
    def __init__(self) -> None:
        self.screens: list[str] = []

    async def show(self, event: Message | CallbackQuery, screen: Screen) -> Message | None:
        self.screens.append(screen.text)
        return None


async def test_a_registered_renderer_takes_over_its_bot_until_removed(kit_bot):
    app, shown = kit_bot
    c = app.resident(509)
    by_id, by_predicate, other_bot = Recording(), Recording(), Recording()
    undo_other = register_renderer(app.bot.id + 1, other_bot)
    undo_id = register_renderer(app.bot.id, by_id)
    try:
        await c.send("kit")
        assert by_id.screens == ["<b>Step 1</b>"] and c.sent == [] and shown.results == [None]
        undo_predicate = register_renderer(lambda e: isinstance(e, Message), by_predicate)
        await c.send("kit")
        assert by_predicate.screens == ["<b>Step 1</b>"] and len(by_id.screens) == 1
        undo_predicate()
        undo_id()
        undo_id()  # removing twice is harmless
        await c.send("kit")
        assert len(c.sent) == 1 and other_bot.screens == []
    finally:
        undo_id()
        undo_other()
    assert show_module._renderers == []


async def test_show_makes_the_bot_api_calls_of_each_case(kit_bot):
    """Typed message, edit in place, not modified, cannot edit: the Bot API calls made."""
    app, _ = kit_bot

    async def session(c: Any) -> list[tuple[str, dict[str, Any]]]:
        await c.send("kit")
        await c.press("Go 2")
        app.fake.fail_next("editMessageText", 400, description="Bad Request: message is "
                           "not modified: specified new message content are exactly the same")
        await c.press("Go 3")
        app.fake.fail_next("editMessageText", 400,
                           description="Bad Request: message can't be edited")
        await c.press("Go 3")
        await c.press("Go 4")
        chat = str(c.user_id)
        return [(method, {k: v for k, v in params.items() if k not in {"chat_id", "message_id"}})
                for method, params in app.fake.calls
                if str(params.get("chat_id")) == chat and method != "answercallbackquery"]

    kit_calls = await session(app.resident(603))
    assert [m for m, _ in kit_calls] == ["sendmessage", "editmessagetext", "editmessagetext",
                                         "editmessagetext", "sendmessage", "editmessagetext"]
    assert [params["text"] for _, params in kit_calls] == [
        "<b>Step 1</b>", "<b>Step 2</b>", "<b>Step 3</b>", "<b>Step 3</b>", "<b>Step 3</b>",
        "<b>Step 4</b>"]
    assert all(params["parse_mode"] == "HTML" for _, params in kit_calls)
