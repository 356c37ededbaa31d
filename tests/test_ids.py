"""Ids from outside (buttons, deep links, typed commands) are checked before the database sees
them: a number no row can have is "not found", never an OverflowError."""

from __future__ import annotations

import importlib
import pkgutil
import typing

import pytest
from aiogram.filters.callback_data import CallbackData
from annotated_types import Ge, Le

import handlers
from bot.channels.telegram.links import private_chat_url
from handlers.kit.ids import MAX_SMALL_NUMBER, parse_start_payload
from services.ids import MAX_ROW_ID, parse_row_id
from services.models import Role

HUGE = "99999999999999999999"  # past 2**64
PAST_BIGINT = str(2**63)


def _all_callback_classes() -> list[type[CallbackData]]:
    for module in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{module.name}")
    found, todo = [], list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("handlers."):  # not the ones other tests define
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_integer_field_of_callback_data_is_bounded():
    classes = _all_callback_classes()
    assert len(classes) >= 10
    unbounded = []
    for cls in classes:
        for name, field in cls.model_fields.items():
            if field.annotation is not int and typing.get_origin(field.annotation) is None:
                continue
            if int not in (field.annotation, *typing.get_args(field.annotation)):
                continue
            ge = [m.ge for m in field.metadata if isinstance(m, Ge)]
            le = [m.le for m in field.metadata if isinstance(m, Le)]
            if not (ge and le and ge[0] >= 0 and le[0] <= MAX_ROW_ID):
                unbounded.append(f"{cls.__name__}.{name}")
    assert unbounded == [], "use bot.ids.RowId or SmallNumber"


def test_row_id_parser():
    assert parse_row_id("12") == 12 and parse_row_id(" 007 ") == 7
    assert parse_row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    for bad in (None, "", "0", "-1", "+1", "1.0", "1 2", "١٢", "²", PAST_BIGINT, HUGE,
                "9" * 5000):
        assert parse_row_id(bad) is None, bad


def test_start_payload_parser():
    payload = parse_start_payload("petition_12")
    assert payload is not None and (payload.kind, payload.id) == ("petition", 12)
    for garbled in (f"petition_{HUGE}", "petition_", "petition_-3", "petition_ab"):
        payload = parse_start_payload(garbled)
        assert payload is not None and payload.kind == "petition" and payload.id is None
    for foreign in (None, "", "hello", "12", "_12", "Petition 12"):
        assert parse_start_payload(foreign) is None
    assert private_chat_url("b", "petition_12") == "https://t.me/b?start=petition_12"
    assert private_chat_url("b", f"petition_{HUGE}") == "https://t.me/b"
    assert private_chat_url("b", "<script>") == "https://t.me/b"


async def test_a_deep_link_past_the_range_is_not_found(bot_app):
    visitor = bot_app.resident(1201)
    for payload in (HUGE, PAST_BIGINT, "abc", ""):
        replies = await visitor.send(f"/start petition_{payload}")
        assert "Петицію не знайдено" in replies[-1].text, payload


@pytest.mark.parametrize("data", [
    f"pc:open:{HUGE}::0",
    f"pc:sign:{PAST_BIGINT}::0",
    f"ev:list:0:{HUGE}",
    f"ev:remind:{HUGE}:0",
    f"ap:card::{HUGE}:0",
    f"aprt:{HUGE}:5",
    f"aprt:1:{HUGE}",
])
async def test_a_forged_button_with_an_id_past_the_range_is_answered_politely(bot_app, data):
    c = bot_app.resident(1202)
    await c.onboard()
    message = c.last
    message.reply_markup = {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}
    await c.press("forged", message)
    [answer] = c.last_callback_answers
    assert "кнопка вже не діє" in answer["text"] or "не знайдено" in answer["text"]
    assert not bot_app.errors.records


async def test_staff_commands_with_an_id_past_the_range_are_refused(bot_app):
    await bot_app.make_staff(1203, Role.ADMIN)
    admin = bot_app.resident(1203)
    replies = await admin.send(f"/petition_manage {HUGE}")
    assert replies and "Traceback" not in replies[-1].text
    replies = await admin.send(f"/grant {'9' * 5000} moderator")
    assert replies and len(replies[-1].text) < 4096
    assert not bot_app.errors.records


def test_small_numbers_keep_offsets_inside_64_bits():
    assert MAX_SMALL_NUMBER * 1000 < MAX_ROW_ID


async def test_an_appeal_number_past_the_range_is_not_found(session):
    from services import appeals
    from services.errors import NotFound

    for typed in (HUGE, "9" * 5000):
        with pytest.raises(NotFound):
            await appeals.find_by_number(session, typed)
