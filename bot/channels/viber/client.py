"""Viber's REST bot API over aiohttp: the calls the bot makes, and the callback signature."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from bot.channels.viber.errors import ServerError, TransientError, error_for

log = logging.getLogger(__name__)

AUTH_HEADER = "X-Viber-Auth-Token"
SIGNATURE_HEADER = "X-Viber-Content-Signature"
DEFAULT_API_BASE = "https://chatapi.viber.com/pa"
# Every callback we act on; `delivered`/`seen` would only cost requests (VIBER.md §1).
EVENT_TYPES = ("subscribed", "unsubscribed", "conversation_started", "failed")


def signature(token: str, body: bytes) -> str:
    """hex HMAC-SHA256 of the raw body, keyed with the bot's token (Viber's callback header)."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(token: str, body: bytes, given: str | None) -> bool:
    """Constant-time check of a callback's signature over the exact bytes received."""
    if not given:
        return False
    return hmac.compare_digest(signature(token, body).encode(), given.strip().lower().encode())


@dataclass(frozen=True, slots=True)
class Sender:
    """`sender` of every message: the bot's name (≤ 28 characters) and avatar URL."""

    name: str
    avatar: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"name": self.name[:28], **({"avatar": self.avatar} if self.avatar else {})}


class ViberClient:
    """One bot's API client; `send_message` returns Viber's `message_token`.

    Errors: a non-zero status raises the matching `ViberError` (which is also the outbox
    contract's Unreachable / RetryLater / Rejected); 5xx, a broken answer or the network
    raise `TransientError`.
    """

    def __init__(self, token: str, sender: Sender, api_base: str = DEFAULT_API_BASE,
                 *, timeout: float = 30.0) -> None:
        self.token = token
        self.sender = sender
        self.api_base = api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._headers = {AUTH_HEADER: token, "Content-Type": "application/json"}
        self._urls: dict[str, URL] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Viber's API sets no cookies: no jar to look through on every request.
            self._session = aiohttp.ClientSession(timeout=self._timeout,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def _url(self, method: str) -> URL:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = URL(f"{self.api_base}/{method}")
        return url

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._http().post(self._url(method), data=orjson.dumps(body),
                                         headers=self._headers) as response:
                raw = await response.read()
                if response.status >= 500:
                    raise ServerError(f"Viber {method}: HTTP {response.status}")
                if response.status != 200:
                    raise error_for(-response.status, f"HTTP {response.status}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"Viber {method}: {type(exc).__name__}: {exc}") from exc
        try:
            answer = orjson.loads(raw)
        except ValueError as exc:
            raise ServerError(f"Viber {method}: the answer is not JSON") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
            raise ServerError(f"Viber {method}: the answer has no status")
        if answer["status"] != 0:
            raise error_for(answer["status"], str(answer.get("status_message", "")))
        return answer

    async def set_webhook(self, url: str, event_types: tuple[str, ...] = EVENT_TYPES,
                          *, send_name: bool = True) -> dict[str, Any]:
        """Viber checks the URL at once with a signed `webhook` callback (must answer 200)."""
        return await self.call("set_webhook", {"url": url, "event_types": list(event_types),
                                               "send_name": send_name, "send_photo": False})

    async def remove_webhook(self) -> None:
        await self.call("set_webhook", {"url": ""})

    async def get_account_info(self) -> dict[str, Any]:
        return await self.call("get_account_info", {})

    async def get_user_details(self, user_id: str) -> dict[str, Any]:
        answer = await self.call("get_user_details", {"id": user_id})
        user = answer.get("user")
        return user if isinstance(user, dict) else {}

    async def send_message(self, receiver: str, message: dict[str, Any]) -> int:
        """Send one message (`type` and its fields, `keyboard`...) to a subscriber."""
        body = {"receiver": receiver, "sender": self.sender.as_json(), **message}
        answer = await self.call("send_message", body)
        token = answer.get("message_token")
        return token if isinstance(token, int) else 0
