"""Viber callbacks as aiogram updates, fed to the same dispatcher as Telegram's.

A typed text is a message; a keyboard press (ActionBody `cb:<data>`) is a callback query with
that data; the share-phone button's contact is the sender's own (its ActionBody comes back
with it: a contact card forwarded from the address book does not carry it); a picture or file
is fetched into the media store at once (Viber's URLs die within an hour) and handed on as a
`media:` file id; a deep link's `context` is `/start <context>`. `subscribed` / `unsubscribed`
mark the Viber account reachable or not. The user and chat ids are the account's int alias;
the update carries the `Account` (Channel.VIBER, Viber id) for the handlers that store it.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.media import Stored, safe_name
from bot.channels.viber.aliases import CHANNEL, AliasBook
from bot.channels.viber.outgoing import Outgoing
from bot.channels.viber.render import CALLBACK_PREFIX, keyboard
from bot.channels.viber.session import callback_query_id
from services import inbox, residents
from services.accounts import Account
from services.i18n import Translator, normalize_language
from services.models import ChannelIdentity

log = logging.getLogger(__name__)

_CONTEXT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CALLBACK_BYTES = 64
# The callbacks that bring a person's own words to the bot.
ARRIVALS = frozenset({"message", "conversation_started"})


def start_text(context: Any) -> str:
    """`/start` with a deep link's context, if it is a payload we could have made."""
    if isinstance(context, str) and _CONTEXT.match(context):
        return f"/start {context}"
    return "/start"


def event_user(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(Viber id, user object) of whoever a callback is about; None if it names nobody."""
    user = event.get("sender") if event.get("event") == "message" else event.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]:
        return user["id"], user
    if isinstance(event.get("user_id"), str) and event["user_id"]:
        return event["user_id"], {"id": event["user_id"]}
    return None


def welcome(event: dict[str, Any], translator: Translator, city: str,
            sender: dict[str, str]) -> dict[str, Any]:
    """The one free message allowed as the answer to `conversation_started` (the person has
    not subscribed yet, so send_message would fail): a greeting and a Start button that sends
    `/start <context>`, which subscribes him and begins the usual conversation."""
    found = event_user(event)
    language = normalize_language(found[1].get("language") if found else None)
    tr = translator.for_language(language)
    board = keyboard([[{"text": tr("viber.start"), "reply": start_text(event.get("context"))}]])
    return {"sender": sender, "type": "text", "text": tr("viber.welcome", city=city),
            "keyboard": board}


def validated_update(bot: Bot, update_id: int, message_id: int, date: int, alias: int,
                     name: str, language: str, content: dict[str, Any]) -> Update:
    """The update of a callback with this content (Telegram message fields, or `callback`
    for a press), built and validated as aiogram reads one from Telegram."""
    sender = {"id": alias, "is_bot": False, "first_name": name, "language_code": language}
    chat = {"id": alias, "type": "private", "first_name": name}
    if "callback" in content:
        raw: dict[str, Any] = {"callback_query": {
            "id": callback_query_id(alias, message_id), "from": sender,
            "chat_instance": str(alias), "data": content["callback"],
            # The keyboard's message: Viber keeps no edit target, any message id will do.
            "message": {"message_id": message_id, "date": date, "chat": chat,
                        "from": {"id": bot.id, "is_bot": True, "first_name": "Viber"},
                        "text": "…"},
        }}
    else:
        raw = {"message": {"message_id": message_id, "date": date, "chat": chat,
                           "from": sender, **content}}
    return Update.model_validate({"update_id": update_id, **raw}, context={"bot": bot})


class UpdateTemplates:
    """The two updates nearly every callback is (a typed text, a button press), copied from
    ones validated once with only what varies replaced: a quarter of validating each."""

    def __init__(self, bot: Bot) -> None:
        self._text = validated_update(bot, 1, 1, 1, 1, "Viber", "uk", {"text": "…"})
        self._press = validated_update(bot, 1, 1, 1, 1, "Viber", "uk", {"callback": "…"})

    def text(self, update_id: int, message_id: int, date: datetime, alias: int, name: str,
             language: str, text: str) -> Update:
        message = self._text.message
        assert message is not None and message.from_user is not None
        return self._text.model_copy(update={"update_id": update_id, "message": (
            message.model_copy(update={
                "message_id": message_id, "date": date, "text": text,
                "chat": message.chat.model_copy(update={"id": alias, "first_name": name}),
                "from_user": message.from_user.model_copy(update={
                    "id": alias, "first_name": name, "language_code": language})}))})

    def press(self, update_id: int, message_id: int, date: datetime, alias: int, name: str,
              language: str, data: str) -> Update:
        query = self._press.callback_query
        assert query is not None and isinstance(query.message, Message)
        chat = query.message.chat.model_copy(update={"id": alias, "first_name": name})
        return self._press.model_copy(update={"update_id": update_id, "callback_query": (
            query.model_copy(update={
                "id": callback_query_id(alias, message_id), "chat_instance": str(alias),
                "data": data,
                "from_user": query.from_user.model_copy(update={
                    "id": alias, "first_name": name, "language_code": language}),
                "message": query.message.model_copy(update={
                    "message_id": message_id, "date": date, "chat": chat})}))})


class Inbound:
    """Handles one stored callback: what the processor calls for each row."""

    def __init__(self, *, dp: Dispatcher, bot: Bot,
                 sessionmaker: async_sessionmaker[AsyncSession], aliases: AliasBook,
                 outgoing: Outgoing, translator: Translator, max_file_bytes: int) -> None:
        self.dp = dp
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.aliases = aliases
        self.outgoing = outgoing
        self.translator = translator
        self.max_file_bytes = max_file_bytes
        self._http: aiohttp.ClientSession | None = None
        self._templates = UpdateTemplates(bot)
        # Callbacks read by `prepare`, handed to `handle` (a body is parsed once).
        self._read: dict[int, dict[str, Any] | None] = {}

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()

    @staticmethod
    def _event(row: inbox.Claimed) -> dict[str, Any] | None:
        try:
            event = orjson.loads(row.body)
        except ValueError:
            log.warning("stored Viber callback %s is not JSON; skipped", row.id)
            return None
        return event if isinstance(event, dict) else None

    async def prepare(self, session: AsyncSession, rows: list[inbox.Claimed]) -> None:
        """For a claimed batch, in the claim's transaction: the aliases of those who wrote,
        the keyboards they were last shown (by any process), and any of them marked
        unreachable made reachable again (Viber sends no `subscribed` for a first message,
        VIBER.md §2), and on SQLite their profiles: four queries a batch, not a session an
        update.
        (A batch holds one row per person, so an earlier `unsubscribed` is already done.)"""
        if len(self._read) > 10_000:  # rows of failed batches another process took over
            self._read.clear()
        for row in rows:
            self._read[row.id] = self._event(row)
        writers = {row.sender for row in rows if (event := self._read[row.id]) is not None
                   and event.get("event") in ARRIVALS}
        if not writers:
            return
        await self.aliases.preload(session, writers)
        await self.outgoing.keyboards.load(session, writers)
        ahead = getattr(self.dp, "profiles_ahead", None)  # the profiles, where they are kept
        if ahead is not None:
            await ahead(session, CHANNEL, sorted(writers))
        blocked = (await session.scalars(select(ChannelIdentity.external_id).where(
            ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id.in_(writers),
            ChannelIdentity.is_blocked.is_(True)))).all()
        for viber_id in blocked:
            await residents.set_reachable(session, CHANNEL, viber_id, True)

    async def handle(self, row: inbox.Claimed) -> None:
        event = self._read.pop(row.id) if row.id in self._read else self._event(row)
        found = event_user(event) if event is not None else None
        if event is None or found is None:
            return
        viber_id, user = found
        kind = event.get("event")
        if kind in ("subscribed", "unsubscribed"):
            await self._set_reachable(viber_id, kind == "subscribed")
            if kind == "unsubscribed":
                self.outgoing.keyboards.set(viber_id, None)
            return
        if kind == "failed":
            log.warning("Viber could not show message %s to a subscriber: %s",
                        event.get("message_token"), str(event.get("desc", ""))[:200])
            return
        if kind == "conversation_started":
            content: dict[str, Any] | None = {"text": start_text(event.get("context"))}
        elif kind == "message":
            content = await self._content(event, viber_id, user)
        else:
            return
        if content is None:
            return
        alias = await self.aliases.alias(viber_id)  # known since `prepare`, unless run alone
        update = self._update(row.id, event, alias, user, content)
        await self.dp.feed_update(self.bot, update,
                                  account=Account(CHANNEL, viber_id, viber_id))

    # ---- reachability ----------------------------------------------------------------------
    async def _set_reachable(self, viber_id: str, reachable: bool) -> None:
        async with self.sessionmaker() as session:
            await residents.set_reachable(session, CHANNEL, viber_id, reachable)
            await session.commit()

    # ---- the update ------------------------------------------------------------------------
    def _update(self, update_id: int, event: dict[str, Any], alias: int,
                user: dict[str, Any], content: dict[str, Any]) -> Update:
        token = event.get("message_token")
        token = token if isinstance(token, int) and token > 0 else update_id
        stamp = event.get("timestamp")
        date = int(stamp / 1000) if isinstance(stamp, int | float) and stamp > 0 else \
            int(datetime.now(UTC).timestamp())
        name = str(user.get("name") or "").strip()[:64] or "Viber"
        language = normalize_language(user.get("language"))
        if "callback" in content or content.keys() == {"text"}:
            moment = datetime.fromtimestamp(date, UTC)
            if "callback" in content:
                return self._templates.press(update_id, token, moment, alias, name, language,
                                             content["callback"])
            return self._templates.text(update_id, token, moment, alias, name, language,
                                        content["text"])
        return validated_update(self.bot, update_id, token, date, alias, name, language,
                                content)

    async def _content(self, event: dict[str, Any], viber_id: str, user: dict[str, Any]
                       ) -> dict[str, Any] | None:
        """What the person sent, as a Telegram message's fields; None for nothing to handle."""
        message = event.get("message")
        if not isinstance(message, dict):
            return None
        kind, text = message.get("type"), message.get("text")
        text = text if isinstance(text, str) else None
        if kind == "text" and text is not None:
            if text.startswith(CALLBACK_PREFIX):
                data = text[len(CALLBACK_PREFIX):]
                if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
                    return None
                return {"callback": data}
            if event.get("silent"):  # an open-url button echoes its URL silently: not typed
                return None
            return {"text": text}
        if kind == "contact" and isinstance(message.get("contact"), dict):
            contact = message["contact"]
            phone = str(contact.get("phone_number") or "")
            if not phone:
                return None
            card: dict[str, Any] = {"phone_number": phone,
                                    "first_name": str(contact.get("name") or "") or "Viber"}
            if self.outgoing.is_own_phone(viber_id, text):
                card["user_id"] = await self.aliases.alias(viber_id)
            return {"contact": card}
        if kind == "location" and isinstance(message.get("location"), dict):
            place = message["location"]
            try:
                return {"location": {"latitude": float(place["lat"]),
                                     "longitude": float(place["lon"])}}
            except (KeyError, TypeError, ValueError):
                return None
        if kind == "url" and isinstance(message.get("media"), str):
            return {"text": message["media"]}
        if kind == "sticker":
            sticker_id = str(message.get("sticker_id", "0"))
            return {"sticker": {"file_id": f"viber-sticker-{sticker_id}",
                                "file_unique_id": f"vs{sticker_id}", "type": "regular",
                                "width": 512, "height": 512, "is_animated": False,
                                "is_video": False}}
        if kind in ("picture", "file", "video") and isinstance(message.get("media"), str):
            return await self._media(viber_id, message, kind, text,
                                     normalize_language(user.get("language")))
        return None

    async def _media(self, viber_id: str, message: dict[str, Any], kind: str,
                     caption: str | None, language: str) -> dict[str, Any] | None:
        url = message["media"]
        default = "photo.jpg" if kind == "picture" else "video.mp4" if kind == "video" \
            else "file.bin"
        name = str(message.get("file_name") or "") or url.rsplit("/", 1)[-1].split("?")[0]
        filename = safe_name(name or default, "." + default.rsplit(".")[-1])
        stored = await self._fetch(viber_id, url, filename, language)
        if stored is None:
            return None
        extra = {"caption": caption} if caption and kind == "picture" else {}
        if kind == "picture":
            return {"photo": [{"file_id": stored.ref, "file_unique_id": stored.key,
                               "width": 0, "height": 0, "file_size": stored.size}], **extra}
        mime = "video/mp4" if kind == "video" else "application/octet-stream"
        return {"document": {"file_id": stored.ref, "file_unique_id": stored.key,
                             "file_name": stored.name, "mime_type": mime,
                             "file_size": stored.size}}

    async def _fetch(self, viber_id: str, url: str, filename: str, language: str
                     ) -> Stored | None:
        """Download a resident's file into the store; on failure tell him (nothing stored)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        reason = "viber.media_failed"
        try:
            async with self._http.get(url) as response:
                if response.status == 200:
                    data = await self._read_limited(response)
                    if data is not None:
                        return await self.outgoing.media.save(data, filename)
                    reason = "viber.media_too_large"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("a Viber attachment could not be fetched: %s", type(exc).__name__)
        log.info("refused a Viber attachment (%s)", reason)
        async with self.sessionmaker() as session:
            resident = await residents.by_identity(session, CHANNEL, viber_id)
        tr = self.translator.for_language(resident.language if resident else language)
        await self.outgoing.send(viber_id, tr(reason, mb=self.max_file_bytes // (1024 * 1024)),
                                 markup=False)
        return None

    async def _read_limited(self, response: aiohttp.ClientResponse) -> bytes | None:
        """The body, or None as soon as it proves larger than the limit."""
        if (response.content_length or 0) > self.max_file_bytes:
            return None
        data = bytearray()
        async for chunk in response.content.iter_chunked(65536):
            data += chunk
            if len(data) > self.max_file_bytes:
                return None
        return bytes(data)
