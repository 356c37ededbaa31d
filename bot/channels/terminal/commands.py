"""What a typed line means: a button's number, a `:command`, or text for the bot.

A number presses a button only when a button has that number; any other number is text (a
building "12" when three buttons are shown). `:say TEXT` sends TEXT as typed even when it is
a button's number or starts with a colon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PHONE = re.compile(r"^\+?[\d\s()-]{7,20}$")


@dataclass(frozen=True, slots=True)
class Press:
    number: int


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class SharePhone:
    phone: str
    own: bool = True  # False: a contact card of somebody else (forwarded)


@dataclass(frozen=True, slots=True)
class ShareLocation:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class SendFile:
    path: Path
    photo: bool


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Quit:
    pass


@dataclass(frozen=True, slots=True)
class Problem:
    """The line cannot be sent: a catalogue key (terminal.po) saying why, and its values."""

    key: str
    value: str = ""


Input = Press | Say | SharePhone | ShareLocation | SendFile | Help | Quit | Problem


def parse(line: str, buttons: int) -> Input | None:
    """The meaning of one typed line, given how many buttons are shown; None for nothing."""
    text = line.rstrip("\r\n")
    if not text.strip():
        return None
    stripped = text.strip()
    if stripped.isdigit() and stripped.isascii() and 1 <= int(stripped) <= buttons:
        return Press(int(stripped))
    if stripped.startswith(":") and len(stripped) > 1 and not stripped[1].isspace():
        name, _, rest = stripped[1:].partition(" ")
        return _command(name.lower(), rest.strip())
    return Say(text)


def _command(name: str, rest: str) -> Input:
    if name in ("phone", "contact"):
        if not _PHONE.match(rest) or sum(c.isdigit() for c in rest) < 7:
            return Problem("terminal.usage_phone", name)
        return SharePhone(rest, own=name == "phone")
    if name == "location":
        return _location(rest)
    if name in ("photo", "file"):
        if not rest:
            return Problem("terminal.usage_file", name)
        path = Path(rest.strip("'\"")).expanduser()
        if not path.is_file():
            return Problem("terminal.no_file", str(path))
        return SendFile(path, photo=name == "photo")
    if name == "say":
        return Say(rest) if rest else Problem("terminal.usage_say", name)
    if name in ("help", "?"):
        return Help()
    if name in ("quit", "exit", "q"):
        return Quit()
    return Problem("terminal.unknown_command", name)


def _location(rest: str) -> Input:
    parts = rest.replace(",", " ").split()
    try:
        latitude, longitude = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        latitude = longitude = None
    if latitude is None or longitude is None or not -90 <= latitude <= 90 \
            or not -180 <= longitude <= 180:
        return Problem("terminal.usage_location", "location")
    return ShareLocation(latitude, longitude)
