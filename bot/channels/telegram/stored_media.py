"""Outbox photos that name a stored picture (`poll-chart:<id>`) rather than a Telegram file.

The first row to meet a reference uploads the picture and keeps the file id Telegram gives
back: in the database (services.polls.media, for other processes and restarts) and here.
Every other row sends that id. Rows of one reference wait while the first one uploads, so
a results chart for 10,000 residents is uploaded once, not once per recipient.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiogram.types import BufferedInputFile, InputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.db import write_turn
from services.polls import media

SendPhoto = Callable[[str | InputFile], Awaitable[Message]]


class StoredMedia:
    """One per sender: the file ids of pictures uploaded already, and a lock per picture."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession],
                 channel: str = "telegram") -> None:
        self.sessionmaker = sessionmaker
        self.channel = channel
        self._file_ids: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def handles(photo: str) -> bool:
        return media.poll_of_reference(photo) is not None

    async def send(self, ref: str, send: SendPhoto) -> bool:
        """Send the picture with `send` (upload or file id); False when it no longer exists."""
        file_id = self._file_ids.get(ref)
        if file_id is None:
            async with self._locks.setdefault(ref, asyncio.Lock()):
                file_id = self._file_ids.get(ref)
                if file_id is None:
                    async with self.sessionmaker() as session:
                        image = await media.resolve(session, ref, self.channel)
                    if image is None:
                        return False
                    if image.file_id is None:
                        sent = await send(BufferedInputFile(image.png, filename=image.filename))
                        if sent.photo:
                            await self._remember(ref, sent.photo[-1].file_id)
                        return True
                    file_id = self._file_ids[ref] = image.file_id
        await send(file_id)
        return True

    async def _remember(self, ref: str, file_id: str) -> None:
        self._file_ids[ref] = file_id
        async with self.sessionmaker() as session, write_turn(session):
            await media.remember_upload(session, ref, self.channel, file_id)
            await session.commit()
