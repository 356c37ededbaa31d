"""The terminal channel's parts on their own: what a typed line means, how our HTML and the
buttons are printed, the aiogram session and the outbox transport, the account's roles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetChat
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)
from sqlalchemy import select

from bot.channels.base import RetryLater
from bot.channels.terminal import cli
from bot.channels.terminal.account import ACCOUNT_ID, DEFAULT_ACCOUNT
from bot.channels.terminal.commands import (
    Help,
    Press,
    Problem,
    Quit,
    Say,
    SendFile,
    ShareLocation,
    SharePhone,
    parse,
)
from bot.channels.terminal.console import Console, Kind
from bot.channels.terminal.files import Files, TooLarge
from bot.channels.terminal.keys import Key, Links, Request, from_markup, from_specs
from bot.channels.terminal.run import CHANNEL, prepare_account
from bot.channels.terminal.session import TerminalSession
from bot.channels.terminal.text import BOLD, RESET, to_terminal
from bot.channels.terminal.transport import TerminalTransport
from services.aliases import ALIAS_BASE
from services.i18n import get_translator
from services.models import Channel, Role, StaffRole
from services.outbox import Claimed

TR = get_translator().for_language("en")
LINKS = Links(["hromada_terminal", "real_bot"])


# ---- what a line means ----------------------------------------------------------------------
@pytest.mark.parametrize(("line", "buttons", "expected"), [
    ("2", 3, Press(2)),
    (" 3 ", 3, Press(3)),
    ("12", 3, Say("12")),  # a building number while three buttons are shown
    ("0", 3, Say("0")),
    ("２", 3, Say("２")),  # a full-width digit is text
    ("hello there", 3, Say("hello there")),
    ("/start petition_1", 0, Say("/start petition_1")),
    (":say 2", 3, Say("2")),
    (":say", 3, Problem("terminal.usage_say", "say")),
    (": not a command", 0, Say(": not a command")),
    (":phone +380 67 123-45-67", 0, SharePhone("+380 67 123-45-67")),
    (":contact +380671112233", 0, SharePhone("+380671112233", own=False)),
    (":phone call me", 0, Problem("terminal.usage_phone", "phone")),
    (":phone", 0, Problem("terminal.usage_phone", "phone")),
    (":location 50.4501 30.5234", 0, ShareLocation(50.4501, 30.5234)),
    (":location 50.45, -30.52", 0, ShareLocation(50.45, -30.52)),
    (":location 91 30", 0, Problem("terminal.usage_location", "location")),
    (":location nan 30", 0, Problem("terminal.usage_location", "location")),
    (":location 50", 0, Problem("terminal.usage_location", "location")),
    (":location north south", 0, Problem("terminal.usage_location", "location")),
    (":HELP", 0, Help()),
    (":quit", 0, Quit()),
    (":exit", 0, Quit()),
    (":frobnicate now", 0, Problem("terminal.unknown_command", "frobnicate")),
    (":photo", 0, Problem("terminal.usage_file", "photo")),
])
def test_a_typed_line_means(line: str, buttons: int, expected: object):
    assert parse(line + "\n", buttons) == expected


def test_blank_lines_mean_nothing_and_files_must_exist(tmp_path: Path):
    assert parse("   \n", 5) is None
    picture = tmp_path / "a b.jpg"
    picture.write_bytes(b"x")
    assert parse(f":photo {picture}", 0) == SendFile(picture, photo=True)
    assert parse(f":file '{picture}'", 0) == SendFile(picture, photo=False)
    missing = tmp_path / "nope.jpg"
    assert parse(f":photo {missing}", 0) == Problem("terminal.no_file", str(missing))
    assert parse(f":file {tmp_path}", 0) == Problem("terminal.no_file", str(tmp_path))


# ---- our HTML on a terminal -----------------------------------------------------------------
def test_html_is_printed_readably():
    text = ('<b>Step 1</b> of 6 &amp; <i>more <b>so</b></i> <u>u</u> <s>s</s> '
            '<a href="https://a.example/x">site</a> <a href="https://b.example">'
            'https://b.example</a> <a href="tg://user?id=1">Olena</a> <code>x &lt; y</code>'
            '<br>next</b>')
    assert to_terminal(text) == ("Step 1 of 6 & more so u s site (https://a.example/x) "
                                 "https://b.example Olena x < y\nnext")
    assert to_terminal("<b>a <i>b</i> c</b>", ansi=True) == \
        f"{BOLD}a \x1b[3mb{RESET}{BOLD} c{RESET}"
    assert to_terminal("<b>never closed") == "never closed"
    assert to_terminal("1 < 2 <b>", markup=False) == "1 < 2 <b>"


# ---- the console ----------------------------------------------------------------------------
def _console(ansi: bool = False) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(out, TR, ansi=ansi), out


def test_buttons_are_numbered_and_a_number_finds_its_button():
    console, out = _console()
    rows = [[Key("Yes", callback="y"), Key("No", callback="n")], [Key("Site", url="https://x")]]
    first = console.show("<b>Agree?</b>", rows=rows)
    assert out.getvalue() == ("── bot ──\nAgree?\n  [1] Yes   [2] No\n"
                              "  [3] Site → https://x\n\n")
    assert console.key_count == 3
    assert console.key(2) == (first, rows[0][1]) and console.key(4) is None
    assert console.text_of(first) == "Agree?"

    # A message without buttons leaves the last ones pressable (as on a phone).
    console.show("Thanks")
    assert console.key(1) == (first, rows[0][0])
    # An edit prints again, marked, and its new buttons are the ones numbered.
    console.show("Agreed", rows=[[Key("Menu", callback="m")]], kind=Kind.UPDATE,
                 message_id=first)
    assert "── bot · the previous message updated ──\nAgreed\n  [1] Menu\n" in out.getvalue()
    assert console.key(1) == (first, Key("Menu", callback="m"))
    console.drop_keys(first)
    assert console.key_count == 0


def test_a_reply_keyboard_stays_until_the_bot_removes_it():
    console, out = _console()
    console.show("Share your number", rows=[[Key("Share", request=Request.PHONE)]],
                 reply_keyboard=True)
    assert "[1] Share (type :phone +380…)" in out.getvalue()
    console.show("Still waiting")
    assert console.key_count == 1
    console.drop_keys(1)  # only an inline keyboard is taken off by an edit
    assert console.key_count == 1
    console.show("Thanks", remove=True)
    assert console.key_count == 0


def test_styles_only_on_a_terminal():
    plain, plain_out = _console(ansi=False)
    styled, styled_out = _console(ansi=True)
    for console in (plain, styled):
        console.show("<b>Bold</b>", kind=Kind.NOTIFICATION)
        console.note("terminal.opens", value="https://x?a=1&b=2")
        console.toast("Signed & counted")
    assert "\x1b[" not in plain_out.getvalue()
    assert "── bot · notification ──\nBold\n" in plain_out.getvalue()
    assert "Link: https://x?a=1&b=2\n" in plain_out.getvalue()
    assert "(bot: Signed & counted)" in plain_out.getvalue()
    assert f"{BOLD}Bold{RESET}" in styled_out.getvalue()


# ---- buttons from both sources --------------------------------------------------------------
def test_links_into_the_bot_act_inside_the_chat():
    assert LINKS.key("Open", "https://t.me/hromada_terminal?start=petition_4") == \
        Key("Open", says="/start petition_4")
    assert LINKS.key("Open", "https://t.me/Real_Bot") == Key("Open", says="/start")
    shared = LINKS.key("Share", "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Freal_bot"
                                "%3Fstart%3Dpetition_4&text=Sign%20it")
    assert shared == Key("Share", url="Sign it /start petition_4")
    assert LINKS.key("Site", "https://council.example") == Key("Site", url="https://council.example")


def test_markups_and_outbox_rows_become_keys():
    inline = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Sign", callback_data="pet:sign:1"),
         InlineKeyboardButton(text="Inline", switch_inline_query="x")],
        [InlineKeyboardButton(text="Open", url="https://t.me/hromada_terminal?start=menu")]])
    assert from_markup(inline, LINKS) == ([[Key("Sign", callback="pet:sign:1")],
                                           [Key("Open", says="/start menu")]], False)
    reply = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Phone", request_contact=True),
                                           KeyboardButton(text="Here", request_location=True),
                                           KeyboardButton(text="Skip")]])
    assert from_markup(reply, LINKS) == ([[Key("Phone", request=Request.PHONE),
                                           Key("Here", request=Request.LOCATION),
                                           Key("Skip", says="Skip")]], False)
    assert from_markup(ReplyKeyboardRemove(), LINKS) == ([], True)
    assert from_markup(None, LINKS) == ([], False)
    assert from_specs([[{"text": "Open", "link": "petition_1"},
                        {"text": "Act", "callback": "a:1"}],
                       [{"text": "Web", "url": "https://x.example"}]], LINKS) == \
        [[Key("Open", says="/start petition_1"), Key("Act", callback="a:1")],
         [Key("Web", url="https://x.example")]]


# ---- the session --------------------------------------------------------------------------
ME = User(id=ALIAS_BASE - 1, is_bot=True, first_name="Hromada", username="hromada_terminal")


def _bot(tmp_path: Path) -> tuple[Bot, io.StringIO, Files]:
    console, out = _console()
    files = Files(tmp_path / "media", TR, 1024)
    session = TerminalSession(console, 42, ME, files, LINKS)
    bot = Bot(token=f"{ME.id}:terminal", session=session,
              default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    return bot, out, files


async def test_the_session_prints_what_handlers_send(tmp_path: Path):
    bot, out, _files = _bot(tmp_path)
    go = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go",
                                                                     callback_data="go")]])
    sent = await bot.send_message(42, "<b>Hello</b> &amp; welcome", reply_markup=go)
    assert sent.text == "Hello & welcome" and sent.chat.id == 42
    edited = await bot.edit_message_text("Gone", chat_id=42, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.message_id == sent.message_id
    assert out.getvalue().endswith("── bot · the previous message updated ──\nGone\n\n")
    # As on Telegram, an edit that changes nothing is refused (and not printed again).
    printed = out.getvalue()
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Gone", chat_id=42, message_id=sent.message_id)
    assert out.getvalue() == printed
    assert await bot.answer_callback_query("terminal:1", text="Done")
    assert "(bot: Done)" in out.getvalue()
    assert await bot.set_my_commands([]) is True
    assert (await bot.me()).username == "hromada_terminal"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(43, "for somebody else")
    with pytest.raises(TelegramBadRequest, match="not available in the terminal"):
        await bot(GetChat(chat_id=42))
    await bot.send_message(42, "1 < 2", parse_mode=None)
    assert "\n1 < 2\n" in out.getvalue()


async def test_files_the_bot_sends_are_kept_and_shown_by_path(tmp_path: Path):
    bot, out, files = _bot(tmp_path)
    await bot.send_document(42, BufferedInputFile(b"a,b\n", filename="export.csv"),
                            caption="Signatures")
    kept = list((tmp_path / "media").rglob("export.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"a,b\n"
    assert f"[file: {kept[0].resolve()}]\nSignatures" in out.getvalue()
    stored = await files.keep(kept[0])
    await bot.send_photo(42, stored.ref)
    assert f"[photo: {tmp_path / 'media' / stored.key}]" in out.getvalue()
    await bot.send_photo(42, "AgACAgIAAxkBAAI")  # a Telegram file id: not here
    assert "[photo: a file kept by Telegram (AgACAgIAAxkBAAI)]" in out.getvalue()
    await bot.send_location(42, 50.45, 30.52)
    assert "[place: 50.45000, 30.52000]" in out.getvalue()
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(TooLarge, match=r"big\.bin"):
        await files.keep(big)


# ---- the outbox transport -------------------------------------------------------------------
def _row(chat_id: str, **fields: object) -> Claimed:
    values: dict[str, object] = {"id": 1, "channel": "terminal", "chat_id": chat_id,
                                 "resident_id": 1, "text": "<b>Reached</b> 250", "photo": None,
                                 "document": None, "buttons": None, "priority": 0,
                                 "attempts": 1, "broadcast_id": None}
    values.update(fields)
    return Claimed(**values)  # type: ignore[arg-type]


async def test_the_transport_prints_this_chats_rows_and_leaves_the_others(tmp_path: Path):
    console, out = _console()
    transport = TerminalTransport(console, "1", Files(tmp_path, TR, 1024), LINKS)
    assert transport.channel == Channel.TERMINAL.value == "terminal"
    await transport.send(_row("1", buttons=[[{"text": "Open", "link": "petition_1"}]]))
    assert out.getvalue() == "── bot · notification ──\nReached 250\n  [1] Open\n\n"
    assert console.key(1) == (1, Key("Open", says="/start petition_1"))
    with pytest.raises(RetryLater) as waiting:
        await transport.send(_row("2"))
    assert not waiting.value.whole_account and waiting.value.seconds > 0
    await transport.send(_row("1", text="", photo="https://x.example/chart.png"))
    assert "[photo: https://x.example/chart.png]" in out.getvalue()
    assert transport.delivered == 2


# ---- the account ----------------------------------------------------------------------------
async def test_the_account_has_exactly_the_roles_of_this_run(sessionmaker):
    person = await prepare_account(sessionmaker, "1", [Role.MODERATOR, Role.PRESS])
    assert person.alias > ALIAS_BASE and not person.known

    async def held() -> set[str]:
        async with sessionmaker() as session:
            return set(await session.scalars(select(StaffRole.role).where(
                StaffRole.channel == CHANNEL, StaffRole.external_id == "1")))

    assert await held() == {"moderator", "press"}
    again = await prepare_account(sessionmaker, "1", [Role.ADMIN])
    assert again.alias == person.alias
    assert await held() == {"admin"}
    await prepare_account(sessionmaker, "1", [])
    assert await held() == set()
    other = await prepare_account(sessionmaker, "2", [])
    assert other.alias != person.alias


def test_the_command_line_knows_every_staff_role():
    assert set(cli.STAFF_ROLES) == {r.value for r in Role}
    assert ACCOUNT_ID.match(DEFAULT_ACCOUNT) and not ACCOUNT_ID.match("a b")
