"""The Viber outbox transport against the fake API, media links, and reachability."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import aiohttp
import pytest

from bot.channels.viber.client import Sender, ViberClient
from bot.channels.viber.errors import Rejected, RetryLater, TransientError, Unreachable
from bot.channels.viber.transport import ViberTransport
from services import outbox
from services.models import OutboxMessage, OutboxStatus
from services.outbox import Claimed
from tests.fakes.viber_api import TOKEN

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)


def _row(chat_id: str, text: str = "Привіт", **fields: object) -> Claimed:
    values: dict[str, object] = {"id": 1, "channel": "viber", "chat_id": chat_id,
                                 "resident_id": None, "text": text, "photo": None,
                                 "document": None, "buttons": None, "priority": 5,
                                 "attempts": 1, "broadcast_id": None}
    values.update(fields)
    return Claimed(**values)  # type: ignore[arg-type]


async def _deliver(viber: ViberApp, transport: ViberTransport) -> list[Claimed]:
    """What the generic outbox worker does with a transport, for one batch."""
    async with viber.telegram.sessionmaker() as session:
        rows = await outbox.claim_batch(session, "test", channel="viber", limit=10)
        await session.commit()
    for row in rows:
        await transport.send(row)
    async with viber.telegram.sessionmaker() as session:
        await outbox.mark_sent(session, [r.id for r in rows], "test")
        await session.commit()
    return rows


async def test_a_viber_only_resident_gets_an_outbox_message(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()
    resident = await viber.resident_of(olena.id)
    assert resident is not None
    async with viber.telegram.sessionmaker() as session:
        queued = await outbox.notify_residents(
            session, [resident.id], lambda tr: "<b>Петицію №3</b> розглянуто &amp; прийнято",
            urgent=True,
            buttons=lambda tr: [[{"text": "Відкрити", "link": "petition_3"}],
                                [{"text": "Сайт", "url": "https://rada.example"},
                                 {"text": "Підписки", "callback": "sub:show:"}]])
        await session.commit()
        # Nothing for Telegram's sender: the row is Viber's.
        assert await outbox.claim_batch(session, "tg", channel="telegram", limit=10) == []
        await session.rollback()
    assert queued == 1
    rows = await _deliver(viber, viber.channel.transport())
    assert [r.chat_id for r in rows] == [olena.id]
    async with viber.telegram.sessionmaker() as session:
        sent = await session.get(OutboxMessage, rows[0].id)
        assert sent is not None and sent.status == OutboxStatus.SENT
    message = olena.last
    assert message.text == "*Петицію №3* розглянуто & прийнято"
    assert [(b["ActionType"], b["ActionBody"], b["Columns"]) for b in message.buttons] == [
        ("open-url", "viber://pa?chatURI=hromadatest&context=petition_3", 6),
        ("open-url", "https://rada.example", 3),
        ("reply", "cb:sub:show:", 3)]
    # Its callback button works like any other press.
    await olena.press("Підписки")
    assert olena.button("Новини міста")


@pytest.mark.parametrize(("fault", "error"), [
    ({"status": 6}, Unreachable), ({"status": 5}, Unreachable),
    ({"status": 12}, RetryLater), ({"http": 500}, TransientError),
    ({"http": 503}, TransientError), ({"status": 10}, Rejected), ({"status": 3}, Rejected)])
async def test_viber_answers_become_the_contract_errors(viber: ViberApp, fault, error):
    olena = viber.resident()
    olena.user.subscribed = True
    viber.fake.fail("send_message", **fault)
    with pytest.raises(error) as raised:
        await viber.channel.transport().send(_row(olena.id))
    if error is RetryLater:
        assert raised.value.whole_account is True and raised.value.seconds > 0
    await viber.channel.transport().send(_row(olena.id))  # the next one goes through
    assert olena.last.text == "Привіт"


async def test_not_subscribed_and_network_trouble(viber: ViberApp):
    stranger = viber.resident("SSSSSSSSSSSSSSSSSSSSSS==")  # never wrote to the bot
    with pytest.raises(Unreachable):
        await viber.channel.transport().send(_row(stranger.id))
    down = ViberClient(TOKEN, Sender("Громада"), "http://127.0.0.1:9/pa", timeout=2)
    try:
        with pytest.raises(TransientError):
            await down.send_message(stranger.id, {"type": "text", "text": "x"})
    finally:
        await down.close()


async def test_a_photo_goes_out_by_a_signed_expiring_link(viber: ViberApp):
    olena = viber.resident()
    olena.user.subscribed = True
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    stored = await viber.channel.outgoing.media.save(png, "chart.png")
    await viber.channel.transport().send(_row(olena.id, "Результати", photo=stored.ref))
    picture = olena.last
    assert picture.type == "picture" and picture.text == "Результати"
    url = picture.body["media"]
    assert url.startswith(viber.base_url + "/media/") and url.endswith("/chart.png")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200 and await response.read() == png
        expires, sig = url.split("/media/")[1].split("/")[:2]
        for forged in (url.replace(sig, "0" * 32), url.replace(expires, str(int(expires) + 1)),
                       url.replace("chart.png", "other.png")):
            async with http.get(forged) as response:
                assert response.status == 404
    media = viber.channel.outgoing.media
    key = url.split("/media/")[1].split("/", 2)[2]
    assert not media.check(expires, sig, key, now=time.time() + 15 * 86400)
    # A Telegram file id cannot be fetched by Viber: the text still goes, without it.
    await viber.channel.transport().send(_row(olena.id, "Лише текст", photo="AgACAgIAAxk"))
    assert olena.last.type == "text" and olena.last.text == "Лише текст"


async def test_unsubscribing_makes_the_resident_unreachable_until_he_writes(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()
    await olena.unsubscribe()
    identity = await viber.identity(olena.id)
    assert identity is not None and identity.is_blocked
    resident = await viber.resident_of(olena.id)
    assert resident is not None and not resident.is_active
    async with viber.telegram.sessionmaker() as session:
        assert await outbox.recipients_for(session, [resident.id]) == []
    await olena.send("/menu")  # writing subscribes again
    identity = await viber.identity(olena.id)
    assert identity is not None and not identity.is_blocked
    assert "Оберіть розділ" in olena.last.text


async def test_a_picture_sent_by_a_resident_is_kept_or_refused_politely(viber: ViberApp):
    olena = viber.resident()
    await olena.open_chat()
    for label in ("Почати", "Українська", "Погоджуюся"):
        await olena.press(label)
    url = viber.fake.add_media("IMG_0001.jpg", b"\xff\xd8jpeg")
    await olena.message({"type": "picture", "media": url, "text": "", "thumbnail": url})
    assert "а не стікер чи файл" in olena.last.text  # the phone step's own answer
    kept = list((viber.media_dir).rglob("IMG_0001.jpg"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"\xff\xd8jpeg"
    await olena.message({"type": "picture", "media": viber.fake.base + "/media/gone.jpg"})
    assert "Не вдалося отримати ваш файл" in olena.last.text
    big = viber.fake.add_media("big.jpg", b"0" * (10 * 1024 * 1024 + 1))
    await olena.message({"type": "picture", "media": big})
    assert "Файл завеликий" in olena.last.text
    assert not list(viber.media_dir.rglob("big.jpg"))
    await olena.message({"type": "sticker", "sticker_id": 40133})
    assert "а не стікер чи файл" in olena.last.text
