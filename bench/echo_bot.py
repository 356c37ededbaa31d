"""The baseline: a bare aiogram bot that echoes messages and answers button presses."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

dp = Dispatcher()


@dp.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


@dp.callback_query()
async def pressed(query: CallbackQuery) -> None:
    await query.answer()


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
