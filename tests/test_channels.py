"""Channels as adapters: the outbox worker loop drives any Transport by the contract in
bot/channels/base.py; the registry builds the configured ones; Telegram's transport builds
its own deep links."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Rejected, RetryLater, TransientError, Unreachable
from bot.channels.registry import CHANNELS
from bot.channels.telegram.transport import TelegramSender, TelegramTransport
from bot.outbox.run import configured_transports, start_delivery
from bot.outbox.worker import Sender
from services import outbox, residents, roles
from services.models import (
    Channel,
    ChannelIdentity,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Role,
)
from services.outbox import Claimed
from tests.conftest import make_test_settings
from tests.fakes.resident import wait_for
from tests.fakes.telegram_api import BOT_USERNAME

VIBER = Channel.VIBER.value


@dataclass
class FakeTransport:
    """A messenger that answers each chat from a script of errors, then accepts."""

    channel: str = VIBER
    rate_per_second: float = 500.0
    per_chat_interval: float = 0.0
    script: dict[str, list[Exception]] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    refused_at: list[float] = field(default_factory=list)
    closed: bool = False

    async def send(self, row: Claimed) -> None:
        self.starts.append(time.monotonic())
        errors = self.script.get(row.chat_id)
        if errors:
            error = errors.pop(0)
            self.refused_at.append(time.monotonic())
            raise error
        self.sent.append((row.chat_id, row.text))

    async def close(self) -> None:
        self.closed = True


async def _resident(session: AsyncSession, channel: str, chat: str) -> int:
    r = await residents.give_consent(session, channel=channel, external_id=chat, chat_id=chat,
                                     language="uk")
    await session.commit()
    return r.id


async def _rows(session: AsyncSession) -> dict[str, OutboxMessage]:
    session.expire_all()
    return {m.chat_id: m for m in (await session.execute(select(OutboxMessage))).scalars()}


async def test_the_worker_maps_every_transport_answer(sessionmaker, session):
    chats = ["v-ok", "v-gone", "v-bad", "v-flaky", "v-later"]
    ids = [await _resident(session, VIBER, chat) for chat in chats]
    telegram_id = await _resident(session, Channel.TELEGRAM, "777")
    await outbox.notify_residents(session, [*ids, telegram_id], lambda tr: "hi")
    await session.commit()
    transport = FakeTransport(script={
        "v-gone": [Unreachable("not subscribed")],
        "v-bad": [Rejected("bad keyboard")],
        "v-flaky": [TransientError("timeout"), TransientError("timeout")],
        "v-later": [RetryLater(0.3, whole_account=False)],
    })
    sender = Sender(transport, sessionmaker, worker_id="viber-1", max_attempts=3,
                    retry_base_seconds=0.05)
    assert await sender.drain() == 3
    assert Counter(chat for chat, _ in transport.sent) == Counter(["v-ok", "v-flaky",
                                                                    "v-later"])
    rows = await _rows(session)
    assert {chat: rows[chat].status for chat in rows} == {
        "v-ok": OutboxStatus.SENT, "v-gone": OutboxStatus.BLOCKED,
        "v-bad": OutboxStatus.FAILED, "v-flaky": OutboxStatus.SENT,
        "v-later": OutboxStatus.SENT,
        "777": OutboxStatus.PENDING,  # another channel's row: not this sender's business
    }
    assert rows["v-bad"].error == "bad keyboard" and rows["v-bad"].attempts == 1
    assert rows["v-flaky"].attempts == 3
    assert rows["v-later"].attempts == 1  # a per-row wait is not a failed attempt
    gone = await session.scalar(select(ChannelIdentity).where(
        ChannelIdentity.channel == VIBER, ChannelIdentity.external_id == "v-gone"))
    assert gone is not None and gone.is_blocked
    resident = await session.get(Resident, ids[1])
    assert resident is not None and resident.is_active is False


async def test_a_whole_account_wait_holds_every_send_of_the_channel(sessionmaker, session):
    """A transport that cannot announce the wait itself: the worker pauses for it."""
    ids = [await _resident(session, VIBER, f"v{i}") for i in range(6)]
    await outbox.notify_residents(session, ids, lambda tr: "news")
    await session.commit()
    transport = FakeTransport(script={"v0": [RetryLater(0.5)]})
    assert await Sender(transport, sessionmaker, worker_id="viber-1").drain() == 6
    [refused] = transport.refused_at
    assert [t for t in transport.starts if refused < t < refused + 0.5] == []
    assert any(t >= refused + 0.5 for t in transport.starts)
    rows = await _rows(session)
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert rows["v0"].attempts == 1


async def test_one_sender_per_configured_channel(database_url, sessionmaker, session, fake_api):
    viber = FakeTransport()
    settings = make_test_settings(database_url, fake_api.url, None)
    channels = {"telegram": lambda s, _db: None, VIBER: lambda s, _db: viber}
    rid = await _resident(session, VIBER, "v-1")
    await outbox.notify_residents(session, [rid], lambda tr: "hello")
    await session.commit()
    stop = asyncio.Event()
    tasks = start_delivery(sessionmaker, settings, stop, worker_id="w", channels=channels)
    assert [t.get_name() for t in tasks] == ["outbox-sender-viber"]
    await wait_for(lambda: viber.sent == [("v-1", "hello")], within=10)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert viber.closed


async def test_the_registry_builds_telegram_only_with_a_token(database_url, fake_api):
    assert set(CHANNELS) == {Channel.TELEGRAM.value, Channel.VIBER.value}
    settings = make_test_settings(database_url, fake_api.url, None, bot_token=None)
    assert configured_transports(settings) == []
    settings = make_test_settings(database_url, fake_api.url, None,
                                  delivery_rate_per_second=12, delivery_per_chat_interval=0.5)
    [transport] = configured_transports(settings)
    assert isinstance(transport, TelegramTransport)
    assert (transport.channel, transport.rate_per_second, transport.per_chat_interval) == (
        "telegram", 12, 0.5)
    assert (await transport.bot.get_me()).username == BOT_USERNAME  # its own session, live
    await transport.close()  # the transport built that bot, so it closes its session
    http = transport.bot.session._session
    assert http is not None and http.closed


async def test_telegram_turns_a_link_button_into_its_deep_link(fake_api, bot_app, session):
    rid = await _resident(session, Channel.TELEGRAM, "4242")
    await outbox.notify_residents(
        session, [rid], lambda tr: "Petition 12 reached its threshold",
        buttons=lambda tr: [[{"text": "Open", "link": "petition_12"}],
                            [{"text": "Chat", "link": "petition_99999999999999999999"}]])
    await session.commit()
    sender = TelegramSender(bot_app.bot, bot_app.sessionmaker, worker_id="t",
                            rate_per_second=100, per_chat_interval=0)
    assert await sender.drain() == 1
    [message] = fake_api.to_chat(4242)
    assert message.button("Open")["url"] == f"https://t.me/{BOT_USERNAME}?start=petition_12"
    assert message.button("Chat")["url"] == f"https://t.me/{BOT_USERNAME}"  # no such row


async def test_staff_are_told_on_every_channel_they_hold_the_role_on(session):
    await roles.grant(session, "test", Channel.TELEGRAM, "101", Role.MODERATOR)
    await roles.grant(session, "test", Channel.VIBER, "viber-mod", Role.MODERATOR)
    await roles.grant(session, "test", Channel.VIBER, "viber-press", Role.PRESS)
    await session.commit()
    everywhere = await outbox.staff_recipients(session, Role.MODERATOR)
    assert sorted((r.channel, r.chat_id) for r in everywhere) == [
        ("telegram", "101"), ("viber", "viber-mod")]
    on_viber = await outbox.staff_recipients(session, Role.MODERATOR, Channel.VIBER)
    assert [(r.channel, r.chat_id) for r in on_viber] == [("viber", "viber-mod")]


async def test_a_text_screen_goes_to_telegram_as_aiogram_would_send_it(fake_api, bot_app):
    """The renderer's JSON keyboards (bot/channels/telegram/methods.py) put on the wire what
    aiogram's models of the same buttons would, for a typed message, an edit and a new message."""
    from aiogram.types import CallbackQuery, Chat, Message, User

    from bot.channels.telegram.render import TelegramRenderer
    from handlers.kit.render_aiogram import markup_for, telegram_links
    from handlers.kit.screen import Button, DeepLink, Screen, Share
    from handlers.petitions.callbacks import PetCB

    bot = bot_app.bot
    links = telegram_links(BOT_USERNAME)
    screen = Screen("<b>Петиція</b> №12", rows=(
        (Button("Підписати", action=PetCB(action="sign", id=12)),
         Button("Сайт", url="https://example.org/p?id=12")),
        (Button("Відкрити", link=DeepLink("petition_12")),
         Button("Поділитися", share=Share("Підпишіть!", link=DeepLink("petition_12")))),
        (Button("Знайти", share=Share("петиції")),),
    ))
    renderer = TelegramRenderer(links=links)
    chat = Chat(id=4343, type="private")
    person = User(id=4343, is_bot=False, first_name="Олена")
    typed = Message(message_id=7, date=0, chat=chat, from_user=person, text="/x").as_(bot)
    pressed = CallbackQuery(id="q", from_user=person, chat_instance="c", data="x",
                            message=typed).as_(bot)

    def last_call() -> tuple[str, dict]:
        method, params = fake_api.calls[-1]
        return method, dict(params)

    shown = await renderer.show(typed, screen)
    ours_sent = last_call()
    # Of the reply, which message it is: the one the fake API stored.
    assert shown is not None and shown.chat.id == 4343
    assert shown.message_id == fake_api.to_chat(4343)[-1].message_id
    await bot.send_message(4343, screen.text, reply_markup=markup_for(screen, links))
    assert ours_sent == last_call()

    edited = await renderer.show(pressed, screen)
    assert edited is not None and (edited.chat.id, edited.message_id) == (4343, 7)
    ours_edit = last_call()
    await typed.edit_text(screen.text, reply_markup=markup_for(screen, links))
    assert ours_edit == last_call()
    assert ours_edit[0].lower() == "editmessagetext"
    assert "callback_data" in str(ours_edit[1]["reply_markup"])

    fake_api.fail_next("editMessageText", 400, description="Bad Request: message can't be edited")
    await renderer.show(pressed, screen)  # a fresh message instead
    assert last_call() == ours_sent
