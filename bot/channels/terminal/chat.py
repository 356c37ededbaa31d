"""The person at the terminal as aiogram updates, fed to the same dispatcher as Telegram's.

A typed line is a message; a button's number is a callback query carrying the button's data
(from the message that showed it) or the text the button sends; `:phone` is the person's own
contact (its `user_id` is the sender's, which is what onboarding trusts), `:contact` somebody
else's card; `:location` a location; `:photo` / `:file` a photo or document kept in the media
store. The user and chat id is the terminal account's int alias (services/aliases.py); the
update carries the `Account` (channel "terminal", the account id) for the handlers.

The terminal's own lines (the help, the hints beside buttons, the headers) are in the
person's language, which can change with each update (chosen at onboarding, in /settings).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.channels.terminal.commands import (
    Help,
    Input,
    Press,
    Problem,
    Quit,
    Say,
    SendFile,
    ShareLocation,
    SharePhone,
)
from bot.channels.terminal.console import Console
from bot.channels.terminal.files import Files, TooLarge
from bot.channels.terminal.keys import Key, Request
from services.accounts import Account

log = logging.getLogger(__name__)


class TerminalChat:
    """One person's side of the chat: each input becomes one update, handled before the next."""

    def __init__(self, *, dp: Dispatcher, bot: Bot, console: Console, files: Files,
                 account: Account, alias: int, name: str, language: str,
                 language_of: Callable[[], Awaitable[str]] | None = None) -> None:
        self.dp = dp
        self.bot = bot
        self.console = console
        self.files = files
        self.account = account
        self.alias = alias
        self.name = name
        self.language = language
        self._language_of = language_of
        self._update_ids = itertools.count(1)

    async def follow_language(self) -> None:
        """Speak the person's language from now on (their profile's, or the one they chose
        before giving consent)."""
        if self._language_of is None:
            return
        language = await self._language_of()
        if language != self.console.tr.language:
            tr = self.console.tr.translator.for_language(language)
            self.console.tr = self.files.tr = tr

    async def handle(self, item: Input) -> bool:
        """Act on one input; False when the person wants to leave."""
        if isinstance(item, Quit):
            return False
        if isinstance(item, Help):
            self.console.note("terminal.help")
        elif isinstance(item, Problem):
            self.console.note(item.key, value=item.value)
        elif isinstance(item, Press):
            await self.press(item.number)
        elif isinstance(item, Say):
            await self.say(item.text)
        elif isinstance(item, SharePhone):
            card: dict[str, Any] = {"phone_number": item.phone, "first_name": self.name}
            if item.own:
                card["user_id"] = self.alias
            await self.send({"contact": card})
        elif isinstance(item, ShareLocation):
            await self.send({"location": {"latitude": item.latitude,
                                          "longitude": item.longitude}})
        elif isinstance(item, SendFile):
            await self.send_file(item)
        return True

    async def say(self, text: str) -> None:
        await self.send({"text": text})

    async def press(self, number: int) -> None:
        found = self.console.key(number)
        if found is None:
            self.console.note("terminal.no_button", value=str(number))
            return
        message_id, key = found
        if key.callback is not None:
            await self._callback(message_id, key)
        elif key.says is not None:
            await self.say(key.says)
        elif key.url is not None:
            self.console.note("terminal.opens", value=key.url)
        elif key.request is Request.PHONE:
            self.console.note("terminal.use_phone")
        elif key.request is Request.LOCATION:
            self.console.note("terminal.use_location")

    async def send_file(self, item: SendFile) -> None:
        try:
            stored = await self.files.keep(item.path)
        except TooLarge:
            self.console.note("terminal.too_large", value=str(self.files.max_bytes // 2**20))
            return
        except OSError as exc:
            self.console.note("terminal.no_file", value=f"{item.path} ({exc.strerror})")
            return
        if item.photo:
            await self.send({"photo": [{"file_id": stored.ref, "file_unique_id": stored.key,
                                        "width": 0, "height": 0, "file_size": stored.size}]})
        else:
            await self.send({"document": {"file_id": stored.ref, "file_unique_id": stored.key,
                                          "file_name": stored.name, "file_size": stored.size}})

    # ---- updates -------------------------------------------------------------------------
    def _user(self) -> dict[str, Any]:
        return {"id": self.alias, "is_bot": False, "first_name": self.name,
                "language_code": self.language}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.alias, "type": "private", "first_name": self.name}

    async def send(self, content: dict[str, Any]) -> None:
        """A message from the person with `content` (text, contact, location, photo...)."""
        await self._feed({"message": {"message_id": self.console.new_id(),
                                      "date": int(time.time()), "chat": self._chat(),
                                      "from": self._user(), **content}})

    async def _callback(self, message_id: int, key: Key) -> None:
        update_id = next(self._update_ids)
        await self._feed({"callback_query": {
            "id": f"terminal:{update_id}", "from": self._user(),
            "chat_instance": str(self.alias), "data": key.callback,
            "message": {"message_id": message_id, "date": int(time.time()),
                        "chat": self._chat(), "from": self.bot_user(),
                        "text": self.console.text_of(message_id) or key.text},
        }}, update_id)

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot.id, "is_bot": True, "first_name": "Hromada"}

    async def _feed(self, raw: dict[str, Any], update_id: int | None = None) -> None:
        update = Update.model_validate(
            {"update_id": update_id or next(self._update_ids), **raw}, context={"bot": self.bot})
        try:
            await self.dp.feed_update(self.bot, update, account=self.account)
        except Exception:
            # The dispatcher's error handler answers what it can; this is what it could not.
            log.exception("the terminal chat's update %s failed", update.update_id)
            self.console.note("terminal.failed")
        await self.follow_language()
