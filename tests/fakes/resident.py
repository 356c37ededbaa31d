"""A resident who talks to the bot: builds real Telegram updates and reads what came back."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.telegram_api import FakeTelegramAPI, Sent

Deliver = Callable[[dict[str, Any]], Awaitable[None]]
_message_ids = itertools.count(1)


class ResidentClient:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, fake: FakeTelegramAPI, deliver: Deliver, user_id: int,
                 first_name: str = "Олена", language_code: str | None = "uk",
                 username: str | None = None) -> None:
        self.fake = fake
        self._deliver = deliver
        self.user_id = user_id
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        if username:
            self.user["username"] = username

    # ---- reading ---------------------------------------------------------------------------
    @property
    def sent(self) -> list[Sent]:
        """Messages the bot sent to this chat (edits update them in place)."""
        return [s for s in self.fake.to_chat(self.user_id)
                if s.method in {"sendMessage", "sendPhoto", "sendDocument"}]

    @property
    def last(self) -> Sent:
        messages = self.sent
        assert messages, "the bot has sent nothing to this chat"
        return messages[-1]

    def texts(self) -> list[str]:
        return [s.text or "" for s in self.sent]

    def last_with_button(self, text_part: str) -> Sent:
        for message in reversed(self.sent):
            if any(text_part.lower() in b["text"].lower() for b in message.buttons):
                return message
        raise AssertionError(f"no message with a button containing {text_part!r}")

    # ---- writing ---------------------------------------------------------------------------
    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.user["first_name"]},
            "from": self.user,
            **content,
        }

    async def _send(self, **content: Any) -> list[Sent]:
        before = len(self.fake.sent)
        await self._deliver({"message": self._message(**content)})
        return [s for s in self.fake.sent[before:] if s.chat_id == self.user_id]

    async def send(self, text: str) -> list[Sent]:
        entities = []
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            entities = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._send(text=text, **({"entities": entities} if entities else {}))

    async def command(self, text: str) -> list[Sent]:
        return await self.send(text if text.startswith("/") else "/" + text)

    async def contact(self, phone: str, owner_id: int | str | None = "self") -> list[Sent]:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": self.user["first_name"]}
        owner = self.user_id if owner_id == "self" else owner_id
        if owner is not None:
            contact["user_id"] = owner
        return await self._send(contact=contact)

    async def location(self, latitude: float, longitude: float) -> list[Sent]:
        return await self._send(location={"latitude": latitude, "longitude": longitude})

    async def photo(self, file_id: str = "photo-1", caption: str | None = None,
                    media_group_id: str | None = None, file_size: int = 200_000) -> list[Sent]:
        content: dict[str, Any] = {"photo": [
            {"file_id": file_id + "-small", "file_unique_id": file_id + "s", "width": 90,
             "height": 90, "file_size": 2000},
            {"file_id": file_id, "file_unique_id": file_id + "u", "width": 1280, "height": 960,
             "file_size": file_size},
        ]}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return await self._send(**content)

    async def document(self, file_name: str = "scan.pdf", mime_type: str = "application/pdf",
                       file_size: int = 100_000, file_id: str = "doc-1") -> list[Sent]:
        return await self._send(document={"file_id": file_id, "file_unique_id": file_id + "u",
                                          "file_name": file_name, "mime_type": mime_type,
                                          "file_size": file_size})

    async def sticker(self) -> list[Sent]:
        return await self._send(sticker={"file_id": "sticker-1", "file_unique_id": "st1",
                                         "type": "regular", "width": 512, "height": 512,
                                         "is_animated": False, "is_video": False})

    async def press(self, text_part: str, message: Sent | None = None) -> list[Sent]:
        """Press an inline button (by part of its label) on the newest message that has it.

        For a reply-keyboard button, this sends its label as text, as Telegram does.
        """
        target = message or self.last_with_button(text_part)
        button = target.button(text_part)
        if "callback_data" not in button:
            if button.get("request_contact"):
                return await self.contact("+380501234567")
            return await self.send(button["text"])
        return await self.callback(button["callback_data"], target)

    async def callback(self, data: str, message: Sent | None = None) -> list[Sent]:
        """Send raw callback data, as a modified client can for any message of the chat.

        Without `message` it comes from the newest message the bot sent here (or a made-up
        one when there is none): the data need not be on any button the bot ever showed.
        """
        target = message or (self.sent[-1] if self.sent else None)
        before = len(self.fake.sent)
        answers_before = len(self.fake.callback_answers)
        await self._deliver({"callback_query": {
            "id": str(next(_message_ids)),
            "from": self.user,
            "chat_instance": str(self.user_id),
            "data": data,
            "message": {
                "message_id": target.message_id if target else next(_message_ids),
                "date": int(time.time()),
                "chat": {"id": self.user_id, "type": "private"},
                "from": {"id": 4242, "is_bot": True, "first_name": "Hromada"},
                "text": (target.text or "") if target else "…",
                **({"reply_markup": target.reply_markup}
                   if target and target.reply_markup else {}),
            },
        }})
        self.last_callback_answers = self.fake.callback_answers[answers_before:]
        return [s for s in self.fake.sent[before:] if s.chat_id == self.user_id]

    async def onboard(self, *, phone: str | None = None, name: str = "Коваленко Олена Петрівна",
                      street: str = "вул. Шевченка", building: str = "12",
                      language: str = "uk") -> None:
        """Walk the whole onboarding as a resident would."""
        await self.send("/start")
        await self.press("Українська" if language == "uk" else "English")
        await self.press("Погоджуюся" if language == "uk" else "I agree")
        await self.contact(phone or f"+38050{self.user_id % 10_000_000:07d}")
        await self.send(name)
        await self.send(street)
        await self.send(building)

    async def block_bot(self, blocked: bool = True) -> None:
        await self._deliver({"my_chat_member": {
            "chat": {"id": self.user_id, "type": "private"},
            "from": self.user,
            "date": int(time.time()),
            "old_chat_member": {"status": "member" if blocked else "kicked",
                                "user": {"id": 4242, "is_bot": True, "first_name": "Hromada"},
                                **({} if blocked else {"until_date": 0})},
            "new_chat_member": {"status": "kicked" if blocked else "member",
                                "user": {"id": 4242, "is_bot": True, "first_name": "Hromada"},
                                **({"until_date": 0} if blocked else {})},
        }})


async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `predicate()` holds (for the real polling loop); fail after `within` s."""
    try:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - polling what another task produces
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError("timed out waiting for the bot") from None
