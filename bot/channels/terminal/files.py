"""Files in the terminal chat: what `:photo` / `:file` send, and where what the bot sends is.

Both go through the bot's media store (MEDIA_DIR, `media:<key>` references, the same store
Viber uses), so an appeal's photo sent from the terminal is a file the bot keeps, not a path
that may vanish, and a chart or an export the bot sends is a file one can open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram import Bot
from aiogram.types import FSInputFile, InputFile, URLInputFile

from bot.channels.viber.media import MediaStore, Stored, safe_name
from services.i18n import Texts


class TooLarge(Exception):
    """The file is over the limit for what residents may send."""


class Files:
    def __init__(self, root: Path, tr: Texts, max_bytes: int) -> None:
        # Only keeping and finding files: no links are signed here.
        self.store = MediaStore(root, b"", None, 1.0)
        self.tr = tr
        self.max_bytes = max_bytes

    async def keep(self, path: Path) -> Stored:
        """Copy a file the person sends into the store (TooLarge over the limit)."""
        if (await asyncio.to_thread(path.stat)).st_size > self.max_bytes:
            raise TooLarge(str(path))
        data = await asyncio.to_thread(path.read_bytes)
        return await self.store.save(data, safe_name(path.name))

    def path_of(self, ref: str) -> Path | None:
        found = self.store.find(ref)
        return self.store.root / found.key if found is not None else None

    async def describe(self, bot: Bot, file: str | InputFile, *, photo: bool) -> str:
        """The line that stands for a photo or file the bot sends: where to open it."""
        key = "terminal.photo" if photo else "terminal.file"
        return self.tr(key, where=str(await self._where(bot, file)))

    async def _where(self, bot: Bot, file: str | InputFile) -> str | Path:
        if isinstance(file, str):
            if file.startswith(("http://", "https://")):
                return file
            return self.path_of(file) or self.tr("terminal.file_elsewhere", ref=file[:64])
        if isinstance(file, URLInputFile):
            return file.url
        if isinstance(file, FSInputFile):
            return str(file.path)
        data = b"".join([chunk async for chunk in file.read(bot)])
        stored = await self.store.save(data, safe_name(file.filename or "file.bin"))
        return (self.store.root / stored.key).resolve()
