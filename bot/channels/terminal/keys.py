"""Buttons as the terminal knows them: what pressing one does, from either source.

The conversations give aiogram markups (inline buttons, the share-phone reply keyboard); the
outbox gives the channel-neutral rows of CHANNEL_CONTRACT.md. Both become `Key`s: a callback
to feed back as a button press, a text to send as if typed (a reply-keyboard button, a deep
link into this bot is `/start <payload>`), a URL to show, or a request to type `:phone` or
`:location`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup

log = logging.getLogger(__name__)


class Request(StrEnum):
    PHONE = "phone"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class Key:
    """One button; exactly one of the targets is set."""

    text: str
    callback: str | None = None
    says: str | None = None  # sent as typed text when pressed
    url: str | None = None
    request: Request | None = None


Rows = list[list[Key]]


class Links:
    """Recognises the links our handlers build for Telegram (t.me/<bot>?start=…,
    t.me/share/url) so that pressing one acts inside the terminal chat."""

    def __init__(self, usernames: Sequence[str]) -> None:
        self.usernames = {name.lower() for name in usernames if name}

    def key(self, text: str, url: str) -> Key:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc.lower() == "t.me":
            query = parse_qs(parts.query)
            path = parts.path.strip("/")
            if path.lower() in self.usernames:
                payload = query.get("start", [""])[0]
                return Key(text, says=f"/start {payload}" if payload else "/start")
            if path == "share/url":  # Telegram's share sheet: show what would be shared
                shared = " ".join(v for v in (query.get("text", [""])[0],
                                              query.get("url", [""])[0]) if v)
                return Key(text, url=self._inside(shared))
        return Key(text, url=url)

    def _inside(self, shared: str) -> str:
        """A shared text's own deep link, shown as the `/start` it stands for."""
        words = [self._start_of(word) for word in shared.split()]
        return " ".join(words)

    def _start_of(self, word: str) -> str:
        key = self.key("", word) if word.startswith("https://t.me/") else None
        return key.says if key is not None and key.says else word


def from_markup(markup: Any, links: Links) -> tuple[Rows, bool]:
    """(rows, remove) of an aiogram reply markup; `remove` for ReplyKeyboardRemove."""
    rows: Rows = []
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            line: list[Key] = []
            for b in row:
                url = b.url or (b.login_url.url if b.login_url else None) or \
                    (b.web_app.url if b.web_app else None)
                if b.callback_data is not None:
                    line.append(Key(b.text, callback=b.callback_data))
                elif url:
                    line.append(links.key(b.text, url))
                else:  # inline-mode switches, games, payments: nothing in a terminal
                    log.debug("button %r has no terminal counterpart; left out", b.text)
            if line:
                rows.append(line)
    elif isinstance(markup, ReplyKeyboardMarkup):
        for keys in markup.keyboard:
            rows.append([Key(k.text, request=Request.PHONE) if k.request_contact
                         else Key(k.text, request=Request.LOCATION) if k.request_location
                         else Key(k.text, says=k.text) for k in keys])
        return rows, False
    return rows, markup is not None and getattr(markup, "remove_keyboard", False) is True


def from_specs(specs: Sequence[Sequence[dict[str, Any]]] | None, links: Links) -> Rows:
    """The outbox's neutral rows: `callback`, `url` or `link` (a deep-link payload)."""
    rows: Rows = []
    for spec_row in specs or ():
        line: list[Key] = []
        for spec in spec_row:
            text = str(spec.get("text", ""))
            if "callback" in spec:
                line.append(Key(text, callback=str(spec["callback"])))
            elif "link" in spec:
                line.append(Key(text, says=f"/start {spec['link']}"))
            elif "url" in spec:
                line.append(links.key(text, str(spec["url"])))
        if line:
            rows.append(line)
    return rows
