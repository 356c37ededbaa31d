"""Everything the bot sends to a Viber subscriber goes through here (handlers and outbox alike).

Viber shows one keyboard, the one on the newest message. On Telegram older messages keep their
buttons and a reply keyboard stays until removed, so a message sent without buttons carries the
person's last keyboard again (`StoredKeyboards`, kept for every process); an explicit removal
clears it. A keyboard is remembered once the message carrying it was sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from bot.channels.media import MediaStore, Stored, safe_name
from bot.channels.viber.client import ViberClient
from bot.channels.viber.errors import Rejected
from bot.channels.viber.keyboards import StoredKeyboards
from bot.channels.viber.render import (
    CAPTION_MAX,
    PHONE_PREFIX,
    Links,
    Spec,
    api_level,
    keyboard,
    split_text,
    to_viber_text,
)

log = logging.getLogger(__name__)

SHARED_BOARDS = 1024  # distinct keyboards kept for sharing; then the memo starts afresh

Rows = Sequence[Sequence[Spec]]
# Where a file another channel holds comes from (a Telegram file id, a poll's chart): its bytes
# and name, or None when the reference is not one this source knows.
FileSource = Callable[[str], Awaitable[tuple[bytes, str] | None]]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A picture or file to send: where Viber fetches it, its size and name."""

    url: str
    name: str
    size: int | None
    picture: bool


class Outgoing:
    """Builds and sends Viber messages; returns the `message_token` of the last one sent."""

    def __init__(self, client: ViberClient, media: MediaStore,
                 links: Callable[[], Awaitable[Links]], keyboards: StoredKeyboards,
                 phone_key: bytes, sources: Sequence[FileSource] = ()) -> None:
        self.client = client
        self.media = media
        self._links = links
        self.keyboards = keyboards
        self._phone_key = phone_key
        self.sources = tuple(sources)
        self._copying: dict[str, asyncio.Lock] = {}
        self._boards: dict[tuple[bytes, Links, str | None], dict[str, Any] | None] = {}

    async def links(self) -> Links:
        return await self._links()

    # ---- the share-phone button proves the number is the sender's own ---------------------
    def phone_body(self, receiver: str) -> str:
        """ActionBody of this person's share-phone button: Viber sends it back with the
        contact, and a contact card forwarded from the address book comes without it."""
        digest = hmac.new(self._phone_key, receiver.encode(), hashlib.sha256).hexdigest()
        return PHONE_PREFIX + digest[:24]

    def is_own_phone(self, sender: str, text: str | None) -> bool:
        return bool(text) and hmac.compare_digest(self.phone_body(sender).encode(),
                                                  (text or "").encode())

    # ---- media --------------------------------------------------------------------------------
    def attachment(self, ref: str, *, filename: str | None = None) -> Attachment | None:
        """A stored `media:` file or a public URL as Viber can fetch it; None otherwise (a
        Telegram file_id cannot be fetched by Viber)."""
        stored = self.media.find(ref)
        if stored is not None:
            return Attachment(self.media.url(stored), filename or stored.name, stored.size,
                              stored.is_picture)
        if ref.startswith(("https://", "http://")):
            name = safe_name(ref.rsplit("/", 1)[-1].split("?", 1)[0])
            return Attachment(ref, filename or name, None,
                              Stored("x/" + name, name, 0).is_picture)
        return None

    async def fetch_attachment(self, ref: str, *, filename: str | None = None
                               ) -> Attachment | None:
        """`attachment`, and for a file only another channel holds, a copy in the store made
        once (the first send fetches it; every later one, in any process, finds it)."""
        found = self.attachment(ref, filename=filename)
        if found is not None or not self.sources:
            return found
        lock = self._copying.setdefault(ref, asyncio.Lock())
        try:
            async with lock:  # a broadcast's parallel sends fetch it once
                stored = self.media.find_copy(ref)
                for source in self.sources if stored is None else ():
                    got = await source(ref)
                    if got is not None:
                        stored = await self.media.save_copy(ref, *got)
                        break
        finally:
            if not lock.locked():
                self._copying.pop(ref, None)
        if stored is None:
            return None
        return Attachment(self.media.url(stored), filename or stored.name, stored.size,
                          stored.is_picture)

    async def store(self, data: bytes, filename: str) -> Attachment:
        """Keep bytes a handler sends (a chart, an export) to give Viber a link; the same
        bytes again (the same chart opened twice) find the copy kept the first time."""
        source = "sha256:" + hashlib.sha256(data).hexdigest()
        stored = self.media.find_copy(source) or await self.media.save_copy(source, data,
                                                                             filename)
        return Attachment(self.media.url(stored), stored.name, stored.size, stored.is_picture)

    # ---- sending ------------------------------------------------------------------------------
    async def board(self, receiver: str, rows: Rows | None, remove: bool
                    ) -> tuple[dict[str, Any] | None, bool]:
        """The keyboard to put on the next message, and whether it is a new one (to remember
        once sent); without rows, the one the person was last shown."""
        if remove:
            return None, True
        if not rows:
            return await self.keyboards.get(receiver), False
        asks_phone = any("phone" in spec for row in rows for spec in row)
        links = await self.links()
        phone_body = self.phone_body(receiver) if asks_phone else None
        # Most people are shown the same few keyboards (menus, questions): one board of each
        # is built and shared by everyone's remembered keyboard, ~1 KB a person otherwise.
        # Nothing changes a board once built (messages and the store copy it into their JSON).
        key = (orjson.dumps(rows), links, phone_body)
        if key not in self._boards:
            if len(self._boards) >= SHARED_BOARDS:
                self._boards.clear()
            self._boards[key] = keyboard(rows, links, phone_body)
        return self._boards[key], True

    async def send(self, receiver: str, text: str, *, markup: bool = True,
                   rows: Rows | None = None, remove: bool = False,
                   attachment: Attachment | None = None,
                   location: tuple[float, float] | None = None) -> int:
        board, new = await self.board(receiver, rows, remove)
        body = to_viber_text(text, await self.links(), markup=markup).strip()
        messages: list[dict[str, Any]] = []
        if attachment is not None:
            if attachment.picture:
                caption = body if len(body) <= CAPTION_MAX else ""
                messages.append({"type": "picture", "media": attachment.url, "text": caption})
                body = "" if caption else body
            elif attachment.size is not None:
                messages.append({"type": "file", "media": attachment.url,
                                 "size": attachment.size, "file_name": attachment.name[:256]})
            else:  # a file behind a URL of unknown size: Viber needs the size, give the link
                body = f"{body}\n{attachment.url}".strip()
        if location is not None:
            messages.append({"type": "location",
                             "location": {"lat": location[0], "lon": location[1]}})
        if body:
            messages.extend({"type": "text", "text": piece} for piece in split_text(body))
        if not messages:
            raise Rejected("nothing to send")
        token = 0
        for i, message in enumerate(messages):
            if i == len(messages) - 1 and board is not None:
                message = {**message, "keyboard": board}
                if (level := api_level(board)) > 1:
                    message["min_api_version"] = level
            token = await self.client.send_message(receiver, message)
        if new:
            self.keyboards.set(receiver, board)
        return token

    async def send_keyboard(self, receiver: str, rows: Rows) -> int:
        """Replace the shown keyboard without a new text (Viber's message without a type)."""
        board, _ = await self.board(receiver, rows, remove=False)
        if board is None:
            return 0
        message: dict[str, Any] = {"keyboard": board}
        if (level := api_level(board)) > 1:
            message["min_api_version"] = level
        token = await self.client.send_message(receiver, message)
        self.keyboards.set(receiver, board)
        return token
