"""Telegram's length limits as plain text helpers: the strictest of our channels.

A message over 4,096 characters (a caption over 1,024, a button-press notice over 200) is
refused with 400. Texts that quote what people typed clip it where they render it; bot/limits
applies these helpers to every request the bot makes, as the net under everything else.
"""

from __future__ import annotations

import html
import re

HTML = "HTML"  # aiogram's ParseMode.HTML, as the plain string it is

MESSAGE_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_ANSWER_MAX = 200
ELLIPSIS = "…"

_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]+|[<&]")


def visible_length(text: str, parse_mode: str | None = HTML) -> int:
    """Length as Telegram counts it: after parsing the markup, in UTF-16 code units."""
    if parse_mode == HTML:
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


def clip_text(text: str, limit: int) -> str:
    """Plain text within `limit` UTF-16 units, ending in "…" when cut."""
    if visible_length(text, None) <= limit:
        return text
    budget, kept = limit - 1, []
    for char in text:
        budget -= visible_length(char, None)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def clip_html(text: str, limit: int) -> str:
    """HTML whose visible text fits `limit`; tags left open by the cut are closed again."""
    if visible_length(text) <= limit:
        return text
    budget = limit - 1  # room for the ellipsis
    out: list[str] = []
    open_tags: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if match.group(2):  # a tag: kept whole, so the markup stays balanced
            name = match.group(2).lower()
            if match.group(1):
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i] == name:
                        del open_tags[i]
                        break
            elif not token.endswith("/>"):
                open_tags.append(name)
            out.append(token)
            continue
        # An entity (`&lt;`) is one character, never split; anything else is a run of text.
        chars = [token] if token[0] in "<&" else list(token)
        for char in chars:
            units = visible_length(char)
            if units > budget:
                budget = -1
                break
            budget -= units
            out.append(char)
        if budget < 0:
            break
    return "".join(out).rstrip() + ELLIPSIS + "".join(f"</{t}>" for t in reversed(open_tags))
