"""A fake Viber REST bot API on loopback, and the Viber clients that post signed callbacks.

It checks what Viber documents (VIBER.md): the auth header, the sender name, text and caption
lengths, picture URL extensions, keyboards (≤ 24 buttons, Columns 1-6, known ActionTypes,
a non-empty ActionBody, min_api_version 3 for share-phone), the 30 KB request cap, and that
the receiver has subscribed (status 6 otherwise). A request that breaks a rule is answered
with status 3 and kept in `problems`, which the tests assert empty. Faults can be queued per
method: a Viber status (6, 12 ...) or an HTTP status (500).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "4453b6ac1b6ac17c-3a0e3fba1e04e4d3-e9d6b2ac1eea6e6a"
BOT_URI = "hromadatest"
ACTION_TYPES = {"reply", "open-url", "share-phone", "location-picker", "none"}
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif")
MAX_BUTTONS = 24


def sign(body: bytes, token: str = TOKEN) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def compact(event: dict[str, Any]) -> bytes:
    """A callback body as Viber sends it: compact JSON (both captured vectors are)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class ViberSent:
    """One send_message call the bot made."""

    receiver: str
    body: dict[str, Any]
    token: int

    @property
    def type(self) -> str | None:
        return self.body.get("type")

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def keyboard(self) -> dict[str, Any] | None:
        return self.body.get("keyboard")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return list((self.keyboard or {}).get("Buttons", []))


@dataclass
class ViberUser:
    id: str
    name: str = "Олена"
    language: str = "uk"
    subscribed: bool = False
    api_version: int = 10

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "avatar": "http://avatar.example/a.jpg",
                "language": self.language, "country": "UA", "api_version": self.api_version}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Fault:
    status: int | None = None  # a Viber status in an HTTP 200 answer
    http: int | None = None  # or an HTTP error status


class FakeViberAPI:
    """The server; `url` is VIBER_API_BASE, `webhook_url` where callbacks are posted."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.users: dict[str, ViberUser] = {}
        self.sent: list[ViberSent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.webhook: dict[str, Any] | None = None
        self.webhook_url: str | None = None
        self.media: dict[str, bytes] = {}
        self._tokens = itertools.count(5_000_000_000_000_000_000)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base = ""

    @property
    def url(self) -> str:
        return self.base + "/pa"

    def next_token(self) -> int:
        return next(self._tokens)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/pa/{method}", self._dispatch)
        app.router.add_get("/media/{name}", self._media)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- test controls -----------------------------------------------------------------------
    def user(self, user_id: str, **kwargs: Any) -> ViberUser:
        return self.users.setdefault(user_id, ViberUser(user_id, **kwargs))

    def fail(self, method: str, *, status: int | None = None, http: int | None = None,
             times: int = 1) -> None:
        self.faults[method].extend(Fault(status, http) for _ in range(times))

    def add_media(self, name: str, data: bytes) -> str:
        """A file a resident sends: Viber hands the bot a (short-lived) URL of it."""
        self.media[name] = data
        return f"{self.base}/media/{name}"

    def to(self, receiver: str) -> list[ViberSent]:
        return [s for s in self.sent if s.receiver == receiver]

    async def post(self, event: dict[str, Any], *, signature: str | None = "auto",
                   url: str | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        """Post a callback to the bot's webhook as Viber does (`raw`: these exact bytes
        instead of the event); (HTTP status, JSON or None)."""
        assert self._http is not None
        body = compact(event) if raw is None else raw
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = sign(body, self.token)
        if signature is not None:
            headers["X-Viber-Content-Signature"] = signature
        target = url or self.webhook_url
        assert target, "no webhook URL: set_webhook first or pass url="
        async with self._http.post(target, data=body, headers=headers) as response:
            raw = await response.read()
            try:
                answer = json.loads(raw) if raw else None
            except ValueError:
                answer = raw.decode(errors="replace")
            return response.status, answer

    # ---- the API -----------------------------------------------------------------------------
    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response({"status": 3, "status_message": "badData"})
        self.calls.append((method, body))
        if self.faults.get(method):
            fault = self.faults[method].pop(0)
            if fault.http is not None:
                return web.Response(status=fault.http, text="Internal Server Error")
            return web.json_response({"status": fault.status, "status_message": "fault"})
        if len(raw) > 30 * 1024:
            return self._problem(f"{method}: request of {len(raw)} bytes over 30 KB")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"status": 3, "status_message": f"no method {method}"})
        try:
            answer = await handler(body)
        except _Refused as refused:
            return web.json_response({"status": refused.status,
                                      "status_message": refused.message})
        return web.json_response({"status": 0, "status_message": "ok", **answer})

    def _problem(self, problem: str) -> web.Response:
        self.problems.append(problem)
        return web.json_response({"status": 3, "status_message": problem})

    async def _m_set_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        url = body.get("url", "")
        self.webhook = body
        if not url:
            self.webhook_url = None
            return {}
        self.webhook_url = url
        # Viber checks the URL at once with a signed `webhook` callback.
        status, _ = await self.post({"event": "webhook", "timestamp": 1,
                                     "message_token": self.next_token()}, url=url)
        if status != 200:
            self.webhook_url = None
            raise _Refused(1, "invalidUrl")
        return {"event_types": body.get("event_types", [])}

    async def _m_get_account_info(self, _body: dict[str, Any]) -> dict[str, Any]:
        return {"id": "pa:1", "name": "Hromada", "uri": BOT_URI, "icon": "", "background": "",
                "category": "Government", "subcategory": "City", "country": "UA",
                "webhook": self.webhook_url or "", "event_types": [],
                "subscribers_count": sum(u.subscribed for u in self.users.values())}

    async def _m_get_user_details(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(body.get("id")))
        if user is None:
            raise _Refused(5, "notRegistered")
        return {"user": {**user.as_json(), "primary_device_os": "Android 14",
                         "viber_version": "24.0", "device_type": "phone"}}

    async def _m_send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        receiver = body.get("receiver")
        user = self.users.get(receiver) if isinstance(receiver, str) else None
        if user is None:
            raise _Refused(5, "notRegistered")
        if not user.subscribed:
            raise _Refused(6, "notSubscribed")
        problem = message_problem(body)
        if problem:
            self.problems.append(problem)
            raise _Refused(3, problem)
        token = self.next_token()
        self.sent.append(ViberSent(receiver, body, token))
        return {"message_token": token, "chat_hostname": "SN-CHAT-01_", "billing_status": 1}


def message_problem(body: dict[str, Any], *, welcome: bool = False) -> str | None:
    """Why Viber would refuse (or its client fail to show) a message; None if it is fine."""
    sender = body.get("sender") or {}
    if not sender.get("name") or len(sender["name"]) > 28:
        return "sender.name is required, at most 28 characters"
    kind = body.get("type")
    if kind is None and "keyboard" not in body:
        return "a message needs a type (or only a keyboard)"
    if kind == "text" and not (0 < len(body.get("text") or "") <= 7000):
        return "text must be 1-7000 characters"
    if kind == "picture":
        media = str(body.get("media", ""))
        if not media.split("?")[0].lower().endswith(PICTURE_EXTENSIONS):
            return f"picture URL must end in .jpg/.png/.gif: {media}"
        if "text" not in body or len(body["text"]) > 768:
            return "picture text is required, at most 768 characters"
    if kind == "file" and not (body.get("media") and isinstance(body.get("size"), int)
                               and body.get("file_name")):
        return "file needs media, size and file_name"
    if kind == "location" and not isinstance(body.get("location"), dict):
        return "location needs lat and lon"
    if kind not in (None, "text", "picture", "file", "location", "video", "url", "contact",
                    "sticker", "rich_media"):
        return f"unknown message type {kind}"
    return keyboard_problem(body.get("keyboard"), int(body.get("min_api_version") or 1))


def keyboard_problem(board: Any, api_level: int) -> str | None:
    if board is None:
        return None
    if not isinstance(board, dict) or board.get("Type") != "keyboard":
        return "keyboard.Type must be 'keyboard'"
    buttons = board.get("Buttons")
    if not isinstance(buttons, list) or not 0 < len(buttons) <= MAX_BUTTONS:
        return f"a keyboard holds 1-{MAX_BUTTONS} buttons"
    for b in buttons:
        if b.get("ActionType", "reply") not in ACTION_TYPES:
            return f"unknown ActionType {b.get('ActionType')}"
        if not isinstance(b.get("ActionBody"), str) or not b["ActionBody"]:
            return "every button needs an ActionBody"
        if not 1 <= int(b.get("Columns", 6)) <= 6 or not 1 <= int(b.get("Rows", 1)) <= 2:
            return "Columns 1-6, Rows 1-2"
        if len(str(b.get("Text", ""))) > 250:
            return "button Text at most 250 characters"
        if b.get("ActionType") in ("share-phone", "location-picker") and api_level < 3:
            return f"{b['ActionType']} needs min_api_version 3"
    return None


@dataclass
class ViberClientSim:
    """One person's Viber app talking to the bot: posts callbacks, reads what came back.

    `settle` runs after each callback until the bot has handled it (the processor's drain).
    The keyboard shown is the one on the newest message (none if it had none).
    """

    fake: FakeViberAPI
    user: ViberUser
    settle: Any = None
    welcome: dict[str, Any] | None = None
    last_status: int = 0
    _opened: list[int] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def sent(self) -> list[ViberSent]:
        return self.fake.to(self.user.id)

    @property
    def last(self) -> ViberSent:
        assert self.sent, "the bot has sent nothing to this Viber user"
        return self.sent[-1]

    def texts(self) -> list[str]:
        return [s.text for s in self.sent]

    def shown_keyboard(self) -> list[dict[str, Any]]:
        if self.sent:
            return self.last.buttons
        return list(((self.welcome or {}).get("keyboard") or {}).get("Buttons", []))

    def button(self, text_part: str) -> dict[str, Any]:
        for b in self.shown_keyboard():
            if text_part.lower() in str(b.get("Text", "")).lower():
                return b
        raise AssertionError(f"no button with {text_part!r} in "
                             f"{[b.get('Text') for b in self.shown_keyboard()]}")

    async def _post(self, event: dict[str, Any]) -> list[ViberSent]:
        before = len(self.fake.sent)
        self.last_status, answer = await self.fake.post(event)
        if self.settle is not None:
            await self.settle()
        if event["event"] == "conversation_started":
            self.welcome = answer if isinstance(answer, dict) else None
        return [s for s in self.fake.sent[before:] if s.receiver == self.user.id]

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"event": kind, "timestamp": 1_767_000_000_000,
                "message_token": self.fake.next_token(), **fields}

    async def open_chat(self, context: str | None = None) -> dict[str, Any] | None:
        """Open the chat (Message button or a deep link): Viber's conversation_started."""
        extra = {"context": context} if context else {}
        await self._post(self._event("conversation_started", type="open",
                                     user=self.user.as_json(),
                                     subscribed=self.user.subscribed, **extra))
        return self.welcome

    async def message(self, message: dict[str, Any], *, silent: bool = False
                      ) -> list[ViberSent]:
        self.user.subscribed = True  # writing to the bot subscribes
        return await self._post(self._event("message", sender=self.user.as_json(),
                                            message=message, silent=silent))

    async def send(self, text: str) -> list[ViberSent]:
        return await self.message({"type": "text", "text": text})

    async def press(self, text_part: str) -> list[ViberSent]:
        """Tap a button of the keyboard shown, as the Viber app reports it."""
        b = self.button(text_part)
        kind = b.get("ActionType", "reply")
        if kind == "share-phone":
            return await self.share_phone(f"38050{abs(hash(self.id)) % 10_000_000:07d}")
        if kind == "open-url":
            return await self.message({"type": "text", "text": b["ActionBody"]}, silent=True)
        return await self.message({"type": "text", "text": b["ActionBody"]},
                                  silent=bool(b.get("Silent")))

    async def share_phone(self, phone: str) -> list[ViberSent]:
        """The share-phone button: the own number, with the button's ActionBody as text."""
        body = next((b["ActionBody"] for b in self.shown_keyboard()
                     if b.get("ActionType") == "share-phone"), None)
        assert body is not None, "no share-phone button is shown"
        return await self.message({"type": "contact", "text": body,
                                   "contact": {"name": self.user.name, "phone_number": phone}})

    async def location(self, lat: float, lon: float) -> list[ViberSent]:
        """The location-picker button's answer (or a shared place)."""
        return await self.message({"type": "location", "location": {"lat": lat, "lon": lon}})

    async def picture(self, name: str, data: bytes, caption: str = "") -> list[ViberSent]:
        """A photo from the phone: Viber hands the bot a short-lived URL of it."""
        url = self.fake.add_media(name, data)
        return await self.message({"type": "picture", "media": url, "thumbnail": url,
                                   "text": caption})

    async def file(self, name: str, data: bytes) -> list[ViberSent]:
        """A document from the phone: its short-lived URL, size and name."""
        url = self.fake.add_media(name, data)
        return await self.message({"type": "file", "media": url, "size": len(data),
                                   "file_name": name})

    def labels(self) -> list[str]:
        return [str(b.get("Text", "")) for b in self.shown_keyboard()]

    async def forward_contact(self, phone: str, name: str = "Іван") -> list[ViberSent]:
        """A contact card from the address book (not the sender's own number)."""
        return await self.message({"type": "contact",
                                   "contact": {"name": name, "phone_number": phone}})

    async def onboard(self, *, name: str = "Коваленко Олена Петрівна",
                      street: str = "вул. Шевченка", building: str = "12") -> None:
        """Walk the whole onboarding from opening the chat, as a resident would."""
        await self.open_chat()
        for label in ("Почати", "Українська", "Погоджуюся", "Поділитися номером"):
            await self.press(label)
        for answer in (name, street, building):
            await self.send(answer)

    async def unsubscribe(self) -> None:
        self.user.subscribed = False
        await self._post(self._event("unsubscribed", user_id=self.user.id))
