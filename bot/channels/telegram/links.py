"""Telegram's deep links to the bot's private chat (`https://t.me/<bot>?start=<payload>`).

The payloads themselves (`petition_12`) and their parser are channel-neutral: handlers.kit.ids.
"""

from __future__ import annotations

from handlers.kit.ids import StartPayload, parse_start_payload

__all__ = ["private_chat_url", "start_url"]


def start_url(username: str, kind: str, row_id: int) -> str:
    """The link that opens the bot's private chat on one item (`t.me/<bot>?start=petition_12`)."""
    return f"https://t.me/{username}?start={StartPayload(kind, row_id)}"


def private_chat_url(username: str, args: str | None = None) -> str:
    """The bot's private chat; a valid deep-link payload is carried over."""
    payload = parse_start_payload(args)
    if payload is None or payload.id is None:
        return f"https://t.me/{username}"
    return start_url(username, payload.kind, payload.id)
