"""The terminal's side of the chat: printing the bot's messages with numbered buttons, and
remembering which button a number stands for.

Numbers always refer to the buttons printed last (as on a phone, the newest buttons are the
ones under the thumb); a reply keyboard stays until the bot takes it away. An edit is printed
again in full, marked as an update, since a terminal cannot change what it printed.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import StrEnum
from typing import Any, TextIO

from bot.channels.terminal.keys import Key, Request, Rows
from bot.channels.terminal.text import dim, plain, to_terminal
from services.i18n import Texts

REMEMBERED_MESSAGES = 200
BUTTON_GAP = "   "


class Kind(StrEnum):
    MESSAGE = "message"  # an answer to what the person did
    UPDATE = "update"  # an earlier message edited
    NOTIFICATION = "notification"  # delivered by the outbox


_HEADERS = {Kind.MESSAGE: "terminal.header", Kind.UPDATE: "terminal.header_update",
            Kind.NOTIFICATION: "terminal.header_notification"}


class Console:
    """Writes to `out` (flushed at once: a pipe must see each message when it is made)."""

    def __init__(self, out: TextIO, tr: Texts, *, ansi: bool = False) -> None:
        self.out = out
        self.tr = tr
        self.ansi = ansi
        self._ids = 0
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._keys: list[tuple[int, Key]] = []
        self._reply_keyboard = False  # the active keys are a reply keyboard

    # ---- identities ----------------------------------------------------------------------
    def new_id(self) -> int:
        """The next message id in this chat (the person's messages and the bot's share it)."""
        self._ids += 1
        return self._ids

    def text_of(self, message_id: int) -> str:
        return self._texts.get(message_id, "")

    # ---- buttons -------------------------------------------------------------------------
    @property
    def key_count(self) -> int:
        return len(self._keys)

    def key(self, number: int) -> tuple[int, Key] | None:
        """(message id, key) behind a pressed number; None if nothing has that number."""
        if 1 <= number <= len(self._keys):
            return self._keys[number - 1]
        return None

    def _activate(self, message_id: int, rows: Rows, *, reply_keyboard: bool) -> None:
        self._keys = [(message_id, key) for row in rows for key in row]
        self._reply_keyboard = reply_keyboard

    def drop_keys(self, message_id: int) -> None:
        """A message's buttons were taken off (edit without a keyboard)."""
        if self._keys and self._keys[0][0] == message_id and not self._reply_keyboard:
            self._keys = []

    # ---- printing ------------------------------------------------------------------------
    def show(self, text: str, *, rows: Rows | None = None, remove: bool = False,
             reply_keyboard: bool = False, kind: Kind = Kind.MESSAGE, markup: bool = True,
             attachment: str | None = None, message_id: int | None = None) -> int:
        """Print one message of the bot; its id (a new one unless an edit names its own)."""
        message_id = message_id if message_id is not None else self.new_id()
        body = to_terminal(text, ansi=self.ansi, markup=markup).strip("\n")
        self._remember(message_id, plain(text) if markup else text)
        if remove and self._reply_keyboard:
            self._keys, self._reply_keyboard = [], False
        if rows:
            self._activate(message_id, rows, reply_keyboard=reply_keyboard)
        lines = [dim(self.tr(_HEADERS[kind]), self.ansi)]
        if attachment:  # a catalogue line (its values escaped)
            lines.append(to_terminal(attachment))
        if body:
            lines.append(body)
        lines += self._button_lines(rows or [])
        self._write("\n".join(lines) + "\n\n")
        return message_id

    def show_keys(self, message_id: int, rows: Rows) -> None:
        """New buttons on an earlier message (the text unchanged)."""
        self._activate(message_id, rows, reply_keyboard=False)
        lines = [dim(self.tr(_HEADERS[Kind.UPDATE]), self.ansi), *self._button_lines(rows)]
        self._write("\n".join(lines) + "\n\n")

    def note(self, key: str, **params: Any) -> None:
        """A line of the terminal itself (hints, problems), not of the bot."""
        self._write(dim(to_terminal(self.tr(key, **params)), self.ansi) + "\n\n")

    def toast(self, text: str) -> None:
        """What Telegram shows as a toast over the chat (a button's answer)."""
        self._write(dim(to_terminal(self.tr("terminal.toast", text=text)), self.ansi) + "\n\n")

    def prompt(self) -> None:
        self._write("> ")

    def end_line(self) -> None:
        """After a prompt the input ended on (Ctrl+D): the next words start a line."""
        self._write("\n")

    def _button_lines(self, rows: Rows) -> list[str]:
        lines, number = [], 1
        for row in rows:
            cells = []
            for key in row:
                cells.append(f"[{number}] {key.text}{self._target(key)}")
                number += 1
            lines.append("  " + BUTTON_GAP.join(cells))
        return lines

    def _target(self, key: Key) -> str:
        if key.url is not None:
            return f" → {key.url}"
        if key.request is Request.PHONE:
            return " " + self.tr("terminal.hint_phone")
        if key.request is Request.LOCATION:
            return " " + self.tr("terminal.hint_location")
        return ""

    def _remember(self, message_id: int, text: str) -> None:
        self._texts[message_id] = text
        self._texts.move_to_end(message_id)
        while len(self._texts) > REMEMBERED_MESSAGES:
            self._texts.popitem(last=False)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
