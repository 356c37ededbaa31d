"""What the throughput runs share: the update mix (in Telegram's terms) and process figures."""

from __future__ import annotations

import os
import time
from pathlib import Path
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process: steadier than wall time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
