"""aiogram's types built on first use (bot/lazy_types.py): each builds, each parses as eagerly.

Each check runs in a fresh interpreter: the deferral only happens before aiogram's import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.lazy_types import defer_aiogram_type_builds

ROOT = Path(__file__).resolve().parent.parent

_EVERY_TYPE = """
import bot, inspect
import aiogram.types as types
models = [m for m in vars(types).values() if inspect.isclass(m)
          and hasattr(m, "model_rebuild") and m.__module__.startswith("aiogram.types.")]
deferred = [m.__name__ for m in models if not m.__pydantic_complete__]
# As pydantic's first use does it: no namespace but the type's module's own names.
failed = [m.__name__ for m in models
          if not m.model_rebuild(_parent_namespace_depth=0, raise_errors=False)
          and not m.__pydantic_complete__]
print(json.dumps({"models": len(models), "deferred": len(deferred), "failed": failed}))
"""

_PARSE = """
import aiogram
from aiogram.methods import Response
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
user = {"id": 7, "is_bot": False, "first_name": "Оксана", "language_code": "uk"}
chat = {"id": 7, "type": "private", "first_name": "Оксана"}
keyboard = {"inline_keyboard": [[{"text": "Підписати", "callback_data": "p:sign:3"}],
                                [{"text": "Сайт", "url": "https://rada.example"}]]}
message = {"message_id": 5, "date": 1764600000, "chat": chat, "from": user,
           "text": "/start p_3", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
           "reply_markup": keyboard}
updates = [
    {"update_id": 1, "message": message},
    {"update_id": 2, "callback_query": {"id": "q", "from": user, "chat_instance": "c",
                                        "data": "p:sign:3", "message": message}},
    {"update_id": 3, "message": {"message_id": 6, "date": 1764600001, "chat": chat, "from": user,
                                 "contact": {"phone_number": "+380501234567", "first_name": "О",
                                             "user_id": 7},
                                 "reply_to_message": message}},
    {"update_id": 4, "message": {"message_id": 7, "date": 1764600002, "chat": chat, "from": user,
                                 "photo": [{"file_id": "f", "file_unique_id": "u", "width": 90,
                                            "height": 90, "file_size": 1000}],
                                 "caption": "Яма на дорозі",
                                 "location": {"latitude": 50.45, "longitude": 30.52}}},
    {"update_id": 5, "my_chat_member": {"chat": chat, "from": user, "date": 1764600003,
                                        "old_chat_member": {"status": "member", "user": user},
                                        "new_chat_member": {"status": "kicked", "user": user,
                                                            "until_date": 0}}},
]
out = [Update.model_validate(u).model_dump(mode="json", exclude_unset=True) for u in updates]
out.append(Response[Message].model_validate({"ok": True, "result": message}).model_dump(
    mode="json", exclude_unset=True))
built = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="y")]])
out.append(built.model_dump(mode="json", exclude_none=True))
print(json.dumps(out, ensure_ascii=False, sort_keys=True))
"""


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", "import json\n" + code], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_every_type_is_deferred_and_builds_from_its_own_module() -> None:
    report = json.loads(_python(_EVERY_TYPE))
    assert report["models"] > 250
    # Deferred indeed: a bare `import bot` builds none of them.
    assert report["deferred"] == report["models"]
    assert report["failed"] == []


def test_deferred_types_parse_and_dump_as_aiogram_eager_build() -> None:
    eager = _python(_PARSE)
    deferred = _python("import bot\n" + _PARSE)
    assert json.loads(deferred) == json.loads(eager)
    assert "+380501234567" in deferred and "p:sign:3" in deferred


def test_deferral_only_before_aiogram_is_imported() -> None:
    import aiogram  # noqa: F401  (imported already by the suite; import-order is the point)

    assert defer_aiogram_type_builds() is False
