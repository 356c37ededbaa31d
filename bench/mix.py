"""What the throughput runs share: the update mix (in Telegram's terms) and process figures."""

from __future__ import annotations

import time
from typing import Any


def message(user_id: int, text: str, message_id: int) -> dict[str, Any]:
    update: dict[str, Any] = {"message": {
        "message_id": message_id, "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "uk"},
        "text": text,
    }}
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0,
                                          "length": len(text)}]
    return update


def press(user_id: int, data: str, message_id: int) -> dict[str, Any]:
    return {"callback_query": {
        "id": f"{user_id}-{message_id}", "chat_instance": str(user_id), "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "uk"},
        "message": {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"}, "text": "menu"},
    }}


# One wave per step; (kind, payload). Callback data are the real bot's own factories' output.
WAVES: list[tuple[str, str]] = [
    ("text", "/start"),
    ("press", "ob:lang:uk"),
    ("text", "/menu"),
    ("press", "m:help"),
    ("text", "/help"),
]


