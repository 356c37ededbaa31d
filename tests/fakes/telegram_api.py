"""A fake Telegram Bot API server on loopback, spoken to over real HTTP by aiogram.

It keeps what the bot sent per chat, serves `getUpdates` with `offset`/`timeout` long polling,
and can answer 429 (`retry_after`) or 403 on demand, or enforce a messages-per-second limit.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "hromada_test_bot"
JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "link_preview_options", "reply_parameters", "media", "results", "menu_button", "button",
}
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "copymessage"}
# Telegram's limits, counted after parsing the markup, in UTF-16 code units.
TEXT_LIMITS = {"sendmessage": ("text", 4096), "editmessagetext": ("text", 4096),
               "sendphoto": ("caption", 1024), "senddocument": ("caption", 1024),
               "editmessagecaption": ("caption", 1024), "answercallbackquery": ("text", 200),
               "setmydescription": ("description", 512),
               "setmyshortdescription": ("short_description", 120)}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
             "a", "tg-emoji", "code", "pre", "blockquote"}


class _TelegramHTML(HTMLParser):
    """Reads text as Telegram's HTML parse mode does: the visible text, or why it refuses it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in HTML_TAGS:
            self.problem = self.problem or f"unsupported start tag \"{tag}\""
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"unexpected end tag \"{tag}\""
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def telegram_length(text: str, parse_mode: str | None) -> tuple[int, str | None]:
    """(length Telegram counts, why the markup is refused or None)."""
    if parse_mode != "HTML":
        return len(text.encode("utf-16-le")) // 2, None
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.open and parser.problem is None:
        parser.problem = f"can't find end tag corresponding to start tag \"{parser.open[-1]}\""
    return len("".join(parser.visible).encode("utf-16-le")) // 2, parser.problem


@dataclass
class Sent:
    """One call the bot made that shows something to a chat."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [
            (b if isinstance(b, dict) else {"text": b}) for row in rows for b in row
        ]

    def button(self, text_part: str) -> dict[str, Any]:
        for b in self.buttons:
            if text_part.lower() in b["text"].lower():
                return b
        raise AssertionError(f"no button with {text_part!r} in {[b['text'] for b in self.buttons]}")


@dataclass
class Fault:
    code: int
    retry_after: int | None = None
    description: str = ""


class FakeTelegramAPI:
    """The server; `url` is what aiogram's `TelegramAPIServer.from_base` points at."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.method_counts: Counter[str] = Counter()
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        # The bot's profile per language_code (None = the default for every other language).
        self.descriptions: dict[str | None, str] = {}
        self.short_descriptions: dict[str | None, str] = {}
        self.menu_button: dict[str, Any] | None = None
        self.inline_answers: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.blocked_chats: set[int] = set()
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.rate_limit: float | None = None  # messages per second across all chats
        self._window_start = time.monotonic()
        self._window_count = 0
        self.count_429 = 0
        self.last_offset: int | None = None
        self.on_send: Callable[[Sent], None] | None = None
        self.record_calls = True
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.messages: dict[tuple[int, int], Sent] = {}
        # Contents of files people sent, by file_id (getFile + download serve them).
        self.files: dict[str, bytes] = {}

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what tests do ---------------------------------------------------------------------
    async def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return update_id

    async def push_updates(self, updates: list[dict[str, Any]]) -> list[int]:
        """Several updates at once: the next getUpdates answers them as one batch."""
        stamped = [{"update_id": next(self._update_ids), **update} for update in updates]
        async with self._new_update:
            self.updates.extend(stamped)
            self._new_update.notify_all()
        return [update["update_id"] for update in stamped]

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def fail_next(self, method: str, code: int, retry_after: int | None = None,
                  times: int = 1, description: str = "") -> None:
        for _ in range(times):
            self.faults[method.lower()].append(Fault(code, retry_after, description))

    def to_chat(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def new_message_id(self) -> int:
        return next(self._message_ids)

    # ---- the server ------------------------------------------------------------------------
    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if path.startswith("documents/") and path[len("documents/"):] in self.files:
            return web.Response(body=self.files[path[len("documents/"):]])
        return web.Response(body=b"\x89PNG fake file body")

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    params[key] = {"filename": value.filename, "size": len(content),
                                   "content": content}
                elif key in JSON_FIELDS:
                    params[key] = json.loads(value)
                else:
                    params[key] = value
        params.update({k: v for k, v in request.query.items() if k not in params})
        return params

    def _check_faults(self, method: str, params: dict[str, Any]) -> web.Response | None:
        queue = self.faults.get(method)
        if queue:
            fault = queue.pop(0)
            return self._error(fault.code, fault.retry_after, fault.description)
        if method in SEND_METHODS:
            chat_id = int(params.get("chat_id", 0))
            if chat_id in self.blocked_chats:
                return self._error(403)
            if self.rate_limit is not None:
                now = time.monotonic()
                if now - self._window_start >= 1.0:
                    self._window_start, self._window_count = now, 0
                if self._window_count >= self.rate_limit:
                    return self._error(429, 1)
                self._window_count += 1
        return None

    def _check_text(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """Refuse, as Telegram does, a text over its limit or with markup it cannot parse."""
        field_name, limit = TEXT_LIMITS.get(method, ("", 0))
        value = params.get(field_name)
        if not isinstance(value, str):
            return None
        length, problem = telegram_length(value, params.get("parse_mode"))
        if problem is not None:
            return self._error(400, description=f"Bad Request: can't parse entities: {problem}")
        if length > limit:
            what = "message caption" if field_name == "caption" else "message"
            if method == "answercallbackquery":
                return self._error(400, description="Bad Request: MESSAGE_TOO_LONG")
            return self._error(400, description=f"Bad Request: {what} is too long")
        return None

    def _error(self, code: int, retry_after: int | None = None,
               description: str | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code}
        if code == 429:
            self.count_429 += 1
            body["description"] = f"Too Many Requests: retry after {retry_after or 1}"
            body["parameters"] = {"retry_after": retry_after or 1}
        elif code == 403:
            body["description"] = "Forbidden: bot was blocked by the user"
        else:
            body["description"] = description or "Bad Request: injected fault"
        return web.json_response(body, status=code)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params = await self._params(request)
        self.method_counts[method] += 1
        if self.record_calls:
            self.calls.append((method, params))
        fault = self._check_faults(method, params) or self._check_text(method, params)
        if fault is not None:
            return fault
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, web.Response):  # the method refused the call
            return result
        return web.json_response({"ok": True, "result": result})

    def _message(self, chat_id: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hromada",
                     "username": BOT_USERNAME},
        }
        if "text" in params:
            msg["text"] = params["text"]
        if "caption" in params:
            msg["caption"] = params["caption"]
        if "photo" in params:
            msg["photo"] = [{"file_id": "sent-photo", "file_unique_id": "sp", "width": 1,
                             "height": 1}]
        if "document" in params:
            msg["document"] = {"file_id": "sent-doc", "file_unique_id": "sd"}
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params[
            "reply_markup"
        ]:
            msg["reply_markup"] = params["reply_markup"]
        return msg

    def _record(self, method: str, params: dict[str, Any], message_id: int) -> Sent:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        sent = Sent(
            method=method,
            chat_id=chat_id,
            message_id=message_id,
            text=params.get("text") or params.get("caption"),
            reply_markup=markup if isinstance(markup, dict) else None,
            params=params,
        )
        self.sent.append(sent)
        self.messages[(chat_id, message_id)] = sent
        if self.on_send is not None:
            self.on_send(sent)
        return sent

    def _m_getme(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Hromada", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": True}

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        limit = int(params.get("limit", 100) or 100)
        self.last_offset = offset
        if offset:
            # Telegram forgets updates below the offset: they were confirmed.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(timeout, 2.0)
        async with self._new_update:
            while not self.updates and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._new_update.wait(),
                                           deadline - time.monotonic())
                except TimeoutError:
                    break
            return self.updates[:limit]

    def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message_id = self.new_message_id()
        self._record(method, params, message_id)
        return self._message(int(params["chat_id"]), message_id, params)

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send("sendMessage", params)

    def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send("sendPhoto", params)

    def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send("sendDocument", params)

    def _m_sendlocation(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._send("sendLocation", params)
        message["location"] = {"latitude": float(params["latitude"]),
                               "longitude": float(params["longitude"])}
        return message

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        previous = self.messages.get((chat_id, message_id))
        if previous is None:
            return True
        if "text" in params or "caption" in params:
            previous.text = params.get("text") or params.get("caption")
        if method == "editMessageReplyMarkup" or "reply_markup" in params:
            markup = params.get("reply_markup")
            previous.reply_markup = markup if isinstance(markup, dict) else None
        previous.params = {**previous.params, **params}
        self.sent.append(Sent(method, chat_id, message_id, previous.text,
                              previous.reply_markup, params))
        return self._message(chat_id, message_id, {"text": previous.text or "",
                                                   "reply_markup": previous.reply_markup})

    def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit("editMessageText", params)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit("editMessageReplyMarkup", params)

    def _m_editmessagecaption(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit("editMessageCaption", params)

    def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        self.commands.append(params)
        return True

    def _m_setmydescription(self, params: dict[str, Any]) -> bool:
        self.descriptions[params.get("language_code") or None] = params.get("description", "")
        return True

    def _m_getmydescription(self, params: dict[str, Any]) -> dict[str, Any]:
        code = params.get("language_code") or None
        return {"description": self.descriptions.get(code, "")}

    def _m_setmyshortdescription(self, params: dict[str, Any]) -> bool:
        self.short_descriptions[params.get("language_code") or None] = params.get(
            "short_description", "")
        return True

    def _m_getmyshortdescription(self, params: dict[str, Any]) -> dict[str, Any]:
        code = params.get("language_code") or None
        return {"short_description": self.short_descriptions.get(code, "")}

    def _m_setchatmenubutton(self, params: dict[str, Any]) -> bool:
        self.menu_button = params.get("menu_button") or {"type": "default"}
        return True

    def _m_getchatmenubutton(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.menu_button or {"type": "default"}

    def _m_answerinlinequery(self, params: dict[str, Any]) -> bool | web.Response:
        """Refuses what Telegram refuses: a card it cannot parse or over 4,096 characters."""
        for result in params.get("results") or []:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                length, problem = telegram_length(content["message_text"],
                                                  content.get("parse_mode"))
                if problem or length > 4096:
                    return self._error(400, description="Bad Request: MESSAGE_TOO_LONG"
                                       if not problem else f"Bad Request: {problem}")
        self.inline_answers.append(params)
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    def _m_deletewebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id")
        if file_id in self.files:
            return {"file_id": file_id, "file_unique_id": f"{file_id}u",
                    "file_size": len(self.files[file_id]), "file_path": f"documents/{file_id}"}
        return {"file_id": params.get("file_id"), "file_unique_id": "u",
                "file_size": 1024, "file_path": f"photos/{params.get('file_id')}.jpg"}
