"""Our messages in Viber's terms: HTML subset → Viber's text markers, buttons → a keyboard.

Buttons arrive as channel-neutral specs (the outbox contract's rows, plus what a Telegram reply
keyboard can hold): exactly one of `callback`, `url`, `link`, `reply` (a text the button sends
as if typed), `phone` or `location`. A Viber keyboard is a 6-column grid under the input field;
a callback button is a silent reply whose ActionBody is `cb:` + the packed callback data, which
the inbound side turns back into a callback query.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "cb:"
PHONE_PREFIX = "ph:"
LOCATION_BODY = "loc"
TEXT_MAX = 7000  # characters of a text message
CAPTION_MAX = 768  # characters of a picture's caption
BUTTON_TEXT_MAX = 250
MAX_BUTTONS = 24
COLUMNS = 6
# share-phone and location-picker need API level 3 (VIBER.md §3).
REQUEST_API_LEVEL = 3
_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~",
          "code": "```", "pre": "```"}
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Spec = dict[str, str]


class Links:
    """Viber deep links (`viber://pa?chatURI=<uri>&context=<payload>`), and the rewriting of
    the Telegram links our handlers build (t.me/<bot>?start=…, t.me/share/url) into them."""

    def __init__(self, uri: str, telegram_usernames: Sequence[str] = ()) -> None:
        self.uri = uri
        self._usernames = {name.lower() for name in telegram_usernames if name}

    def deep_link(self, payload: str) -> str:
        return f"viber://pa?chatURI={quote(self.uri, safe='')}&context={quote(payload, safe='')}"

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != "t.me":
            return url
        query = parse_qs(parts.query)
        path = parts.path.strip("/")
        if path == "share/url":
            shared = " ".join(v for v in (query.get("text", [""])[0],
                                          self.rewrite(query.get("url", [""])[0])) if v)
            return f"viber://forward?text={quote(shared, safe='')}"
        if path.lower() in self._usernames:
            payload = query.get("start", [""])[0]
            if _PAYLOAD.match(payload):
                return self.deep_link(payload)
            return f"viber://pa?chatURI={quote(self.uri, safe='')}"
        return url


class _ToViber(HTMLParser):
    """Reads Telegram's HTML subset and writes Viber's markers: *bold* _italic_ ~strike~
    ```code```; links as "text (url)"; entities unescaped; unknown tags keep their text."""

    def __init__(self, links: Links | None) -> None:
        super().__init__(convert_charrefs=True)
        self.links = links
        self.stack: list[tuple[str, dict[str, str | None], list[str]]] = [("", {}, [])]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.stack[-1][2].append("\n")
            return
        self.stack.append((tag, dict(attrs), []))

    def handle_data(self, data: str) -> None:
        self.stack[-1][2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if not any(frame[0] == tag for frame in self.stack[1:]):
            return
        while True:
            frame = self.stack.pop()
            self.stack[-1][2].append(self._close(*frame))
            if frame[0] == tag:
                return

    def _in_code(self) -> bool:
        return any(frame[0] in ("code", "pre") for frame in self.stack)

    def _close(self, tag: str, attrs: dict[str, str | None], parts: list[str]) -> str:
        inner = "".join(parts)
        if tag in _MARKS and not self._in_code():
            core = inner.strip()
            if not core:
                return inner
            # Viber needs the markers against the words: "*Name:* value", not "*Name: *value".
            lead = inner[: len(inner) - len(inner.lstrip())]
            trail = inner[len(inner.rstrip()):]
            return f"{lead}{_MARKS[tag]}{core}{_MARKS[tag]}{trail}"
        if tag == "a":
            href = attrs.get("href") or ""
            if self.links is not None:
                href = self.links.rewrite(href)
            if not href or href.startswith("tg://") or href in inner:
                return inner
            return f"{inner} ({href})" if inner.strip() else href
        return inner

    def result(self) -> str:
        while len(self.stack) > 1:
            frame = self.stack.pop()
            self.stack[-1][2].append(self._close(*frame))
        return "".join(self.stack[0][2])


def to_viber_text(text: str, links: Links | None = None, *, markup: bool = True) -> str:
    """Our HTML subset as Viber shows it; `markup=False` for text sent without a parse mode."""
    if not markup or ("<" not in text and "&" not in text):
        return text
    return _converted(text, links)


@lru_cache(maxsize=2048)  # most screens are the same text for everyone (menus, questions)
def _converted(text: str, links: Links | None) -> str:
    parser = _ToViber(links)
    parser.feed(text)
    parser.close()
    return parser.result()


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends (or spaces) where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    pieces.append(text)
    return [p for p in pieces if p] or [""]


def _widths(count: int) -> list[int]:
    """Columns of `count` buttons sharing one 6-column line (wider ones first)."""
    base, extra = divmod(COLUMNS, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _button(spec: Spec, columns: int, links: Links | None, phone_body: str | None
            ) -> dict[str, Any] | None:
    text = html.escape(spec.get("text", "")[:BUTTON_TEXT_MAX], quote=False)
    button: dict[str, Any] = {"Columns": columns, "Rows": 1, "Text": text,
                              "TextSize": "regular", "ActionType": "reply"}
    if "callback" in spec:
        button.update(ActionBody=CALLBACK_PREFIX + spec["callback"], Silent=True)
    elif "url" in spec:
        url = links.rewrite(spec["url"]) if links is not None else spec["url"]
        # Silent: Viber also sends an opened URL to the bot as a message; it is ignored.
        button.update(ActionType="open-url", ActionBody=url, Silent=True)
    elif "link" in spec and links is not None:
        button.update(ActionType="open-url", ActionBody=links.deep_link(spec["link"]),
                      Silent=True)
    elif "phone" in spec and phone_body:
        button.update(ActionType="share-phone", ActionBody=phone_body)
    elif "location" in spec:
        button.update(ActionType="location-picker", ActionBody=LOCATION_BODY)
    elif "reply" in spec:
        button.update(ActionBody=spec["reply"] or spec.get("text", ""))
    else:
        return None
    return button


def keyboard(rows: Sequence[Sequence[Spec]], links: Links | None = None,
             phone_body: str | None = None) -> dict[str, Any] | None:
    """A Viber keyboard of the rows (≤ 6 buttons a line, ≤ 24 buttons), or None if empty."""
    lines = [list(row[i:i + COLUMNS]) for row in rows for i in range(0, len(row), COLUMNS)]
    buttons: list[dict[str, Any]] = []
    for line in lines:
        made = [b for spec, width in zip(line, _widths(len(line)), strict=True)
                if (b := _button(spec, width, links, phone_body)) is not None]
        if made and len(made) != len(line):  # a dropped button: re-spread the line
            for b, width in zip(made, _widths(len(made)), strict=True):
                b["Columns"] = width
        buttons.extend(made)
    if len(buttons) > MAX_BUTTONS:
        log.warning("a keyboard of %d buttons was cut to Viber's %d", len(buttons), MAX_BUTTONS)
        buttons = buttons[:MAX_BUTTONS]
    if not buttons:
        return None
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}


def api_level(board: dict[str, Any] | None) -> int:
    """The `min_api_version` a keyboard needs."""
    if board and any(b.get("ActionType") in ("share-phone", "location-picker")
                     for b in board["Buttons"]):
        return REQUEST_API_LEVEL
    return 1
