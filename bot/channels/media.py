"""Files kept by the bot and served to messengers under signed, expiring, unguessable URLs.

Shared by the channels: Viber's pictures are kept here (and Telegram uploads them from here
when staff open them), and a copy of a file another channel holds (a Telegram file, a poll's
chart) is kept here under a token derived from its source, so every process finds the one copy.

Viber fetches every picture or file we send from a public URL whose last path segment carries
the file's extension, and the URLs of what residents send us die within an hour. So both
directions go through this store: a file is kept as `<random token>/<file name>` under
MEDIA_DIR and referred to as `media:<key>` (what `file_id` holds for a Viber attachment, and
what an outbox row's photo/document may hold); its URL is
`<PUBLIC_BASE_URL>/media/<expires>/<signature>/<token>/<file name>`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

REF_PREFIX = "media:"
ROUTE = "/media/{expires}/{sig}/{token}/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif")


def safe_name(filename: str, default_ext: str = ".bin") -> str:
    """A file name fit for a URL path and a disk: ASCII letters, digits, . _ -, with an
    extension (Viber judges a file by it)."""
    base = Path(filename or "").name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = _UNSAFE.sub("", ext.lower())[:8]
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or "file"
    return f"{stem}.{ext}" if ext else f"{stem}{default_ext}"


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    name: str
    size: int

    @property
    def ref(self) -> str:
        return REF_PREFIX + self.key

    @property
    def is_picture(self) -> bool:
        return self.name.lower().endswith(PICTURE_EXTENSIONS)


class MediaStore:
    """A directory of files and the signer of their URLs (one secret for all processes)."""

    def __init__(self, root: Path, secret: bytes, base_url: str | None,
                 ttl_seconds: float) -> None:
        self.root = root
        self._secret = secret
        self.base_url = (base_url or "").rstrip("/")
        self.ttl_seconds = ttl_seconds

    @classmethod
    def reader(cls, root: Path) -> MediaStore:
        """A store that only finds files (a channel that uploads them, makes no links)."""
        return cls(root, b"", None, 0.0)

    # ---- files -------------------------------------------------------------------------------
    async def save(self, data: bytes, filename: str) -> Stored:
        return await self._save(secrets.token_urlsafe(16), data, filename)

    async def _save(self, token: str, data: bytes, filename: str) -> Stored:
        key = f"{token}/{safe_name(filename)}"
        path = self.root / key
        await asyncio.to_thread(_write, path, data)
        return Stored(key, path.name, len(data))

    def _copy_token(self, source: str) -> str:
        """The same in every process (one secret), unguessable without it."""
        digest = hmac.new(self._secret, b"copy:" + source.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:22]

    def find_copy(self, source: str) -> Stored | None:
        """The copy kept of `source` (e.g. `telegram:<file id>`), if one was saved."""
        folder = self.root / self._copy_token(source)
        if not folder.is_dir():
            return None
        for path in sorted(folder.iterdir()):
            if path.is_file() and _NAME.match(path.name) and not path.name.endswith(".part"):
                return Stored(f"{folder.name}/{path.name}", path.name, path.stat().st_size)
        return None

    async def save_copy(self, source: str, data: bytes, filename: str) -> Stored:
        """Keep a copy of `source`; two processes saving it at once write the same file."""
        return await self._save(self._copy_token(source), data, filename)

    def path_of(self, ref: str) -> Path | None:
        """Where the file of a `media:<key>` reference lies, if it is there."""
        stored = self.find(ref)
        return self.root / stored.key if stored is not None else None

    def find(self, ref: str) -> Stored | None:
        """The stored file a `media:<key>` reference names, if it is there."""
        if not ref.startswith(REF_PREFIX):
            return None
        key = ref[len(REF_PREFIX):]
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        return Stored(key, path.name, path.stat().st_size)

    def _path(self, key: str) -> Path | None:
        token, _, name = key.partition("/")
        if not _TOKEN.match(token) or not _NAME.match(name) or ".." in name:
            return None
        return self.root / token / name

    # ---- links -------------------------------------------------------------------------------
    def _sign(self, expires: int, key: str) -> str:
        message = f"{expires}/{key}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def url(self, stored: Stored, *, now: float | None = None) -> str:
        if not self.base_url:
            raise RuntimeError("media links need PUBLIC_BASE_URL")
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        return f"{self.base_url}/media/{expires}/{self._sign(expires, stored.key)}/{stored.key}"

    def check(self, expires: str, sig: str, key: str, *, now: float | None = None) -> bool:
        if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._sign(int(expires), key).encode(), sig.encode())

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET of a media link: the file, or 404 for anything expired, forged or gone
        (nothing tells a prober which it was)."""
        info = request.match_info
        key = f"{info['token']}/{info['name']}"
        path = self._path(key)
        if path is None or not self.check(info["expires"], info["sig"], key) \
                or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=3600",
                                               "X-Content-Type-Options": "nosniff"})


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)  # never serve half a file
