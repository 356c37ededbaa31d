"""What a conversation shows, in no channel's terms: text, buttons, media, an input request.

Handlers build a `Screen` from plain values; a channel's renderer turns it into its own
markup (Telegram: inline keyboards, reply keyboards, edit in place). Nothing here imports
aiogram: an action is anything with ``.pack() -> str``, which aiogram's CallbackData is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

# Telegram's limits are the strictest of our channels; a screen valid here renders anywhere.
MAX_ACTION_BYTES = 64
MAX_ROW_WIDTH = 8
MAX_BUTTONS = 100
_DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_URL_SCHEMES = ("https://", "http://", "tg://")


@runtime_checkable
class Action(Protocol):
    """A typed button action: packs itself into the string the channel sends back."""

    def pack(self) -> str: ...


class Translate(Protocol):
    """``tr("key", name=...)``: what services.i18n.Texts is, as the kit needs it."""

    def __call__(self, key: str, /, **kwargs: Any) -> str: ...


@dataclass(frozen=True, slots=True)
class DeepLink:
    """Opens the bot at a place ("petition_12"); the channel builds the actual URL."""

    payload: str

    def __post_init__(self) -> None:
        if not _DEEP_LINK_PAYLOAD.match(self.payload):
            raise ValueError(f"deep link payload must be 1-64 of [A-Za-z0-9_-]: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class Share:
    """Offers to forward something: a deep link with a text, or a bare inline query text.

    With a link, Telegram shows its share sheet (t.me/share/url), as petitions do today;
    without one, the text becomes an inline query (which needs the bot's inline mode). A
    channel without inline mode (Viber) shares `forward` instead, when given: a plain text and
    the deep link, through its own share sheet.
    """

    text: str
    link: DeepLink | None = None
    forward: tuple[str, DeepLink] | None = None

    def without_inline_mode(self) -> Share:
        """This share as a channel without inline mode offers it."""
        if self.link is not None or self.forward is None:
            return self
        return Share(self.forward[0], self.forward[1])

    def __post_init__(self) -> None:
        if self.link is None and not self.text:
            raise ValueError("a share without a link needs a query text")


@dataclass(frozen=True, slots=True)
class Button:
    """One button with exactly one target: an action, a URL, a deep link or a share."""

    text: str
    action: Action | None = None
    url: str | None = None
    link: DeepLink | None = None
    share: Share | None = None
    # The action as the channels carry it (packed once, here, where it is checked).
    packed: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a button needs a visible text")
        targets = [t for t in (self.action, self.url, self.link, self.share) if t is not None]
        if len(targets) != 1:
            raise ValueError(f"button {self.text!r} needs exactly one target, has {len(targets)}")
        if self.action is not None:
            packed = self.action.pack()
            if not packed or len(packed.encode()) > MAX_ACTION_BYTES:
                raise ValueError(f"button {self.text!r}: packed action must be 1-"
                                 f"{MAX_ACTION_BYTES} bytes, is {len(packed.encode())}")
            object.__setattr__(self, "packed", packed)
        if self.url is not None and not self.url.startswith(_URL_SCHEMES):
            raise ValueError(f"button {self.text!r}: not a link: {self.url!r}")


class MediaKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Media:
    """A photo or document: a channel file reference, or bytes uploaded under a file name."""

    kind: MediaKind
    file: str | None = None
    data: bytes | None = None
    filename: str | None = None

    def __post_init__(self) -> None:
        if (self.file is None) == (self.data is None):
            raise ValueError("media needs exactly one of a file reference or data")
        if self.data is not None and not self.filename:
            raise ValueError("uploaded media needs a file name")


class RequestKind(StrEnum):
    PHONE = "phone"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class InputRequest:
    """Ask the person to share their phone or location with one tap (a reply keyboard).

    `skip` and `cancel` add plain text buttons; pressing one sends its label as a message.
    """

    kind: RequestKind
    text: str
    skip: str | None = None
    cancel: str | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("an input request needs a button text")


Rows = tuple[tuple[Button, ...], ...]


def _as_rows(rows: Iterable[Iterable[Button]]) -> Rows:
    return tuple(tuple(row) for row in rows)


@dataclass(frozen=True, slots=True)
class Screen:
    """One message: text in neutral markup (<b> <i> <a href> <code>, escaped arguments)."""

    text: str
    rows: Rows = ()
    media: Media | None = None
    request: InputRequest | None = None
    remove_reply_keyboard: bool = False
    # Send a new message even when the event is a pressed button (whose message is edited).
    new_message: bool = False

    def __post_init__(self) -> None:
        # Accept lists too; store tuples so a screen is a value.
        object.__setattr__(self, "rows", _as_rows(self.rows))
        if not self.text and self.media is None:
            raise ValueError("a screen needs a text (or media)")
        # A message carries one keyboard: inline buttons, a reply keyboard, or its removal.
        keyboards = sum((bool(self.rows), self.request is not None, self.remove_reply_keyboard))
        if keyboards > 1:
            raise ValueError("a screen has buttons, an input request or a keyboard removal, "
                             "not several")
        for row in self.rows:
            if not row or len(row) > MAX_ROW_WIDTH:
                raise ValueError(f"a row holds 1-{MAX_ROW_WIDTH} buttons, not {len(row)}")
            if not all(isinstance(b, Button) for b in row):
                raise TypeError("rows hold Button values")
        if sum(len(row) for row in self.rows) > MAX_BUTTONS:
            raise ValueError(f"a screen holds at most {MAX_BUTTONS} buttons")

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(b for row in self.rows for b in row)

    @property
    def needs_links(self) -> bool:
        """True when rendering must build deep links (the channel's link builder)."""
        return any(b.link is not None or (b.share is not None and b.share.link is not None)
                   for b in self.buttons)
