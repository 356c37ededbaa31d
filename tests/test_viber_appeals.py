"""An appeal filed on Viber with a photo and a location, handled by staff on Telegram: the
photo is uploaded to Telegram from the media store, the answer's file reaches Viber by a link
to a copy in the store; a photo broadcast composed on Viber is uploaded to Telegram once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from sqlalchemy import select

from services import jobs
from services.db import utcnow
from services.models import Role
from services.models.appeals import Appeal, AppealAttachment

if TYPE_CHECKING:
    from tests.viber_support import ViberApp, ViberFactory

pytest_plugins = ("tests.viber_support",)

IN_CITY = (48.86, 37.60)
PHOTO = b"\xff\xd8\xff\xe0 a pothole"


async def _file_an_appeal(viber: ViberApp) -> tuple[str, str]:
    """A Viber resident files a road complaint with a photo and a point; (viber id, number)."""
    olena = viber.resident()
    await olena.onboard()
    await olena.send("/menu")
    await olena.press("Звернення")
    await olena.press("Нове звернення")
    assert "Крок 1 з 7" in olena.last.text
    await olena.send("скарга")  # typed where a button is expected
    assert "кнопками" in olena.texts()[-1] or "кнопками" in olena.texts()[-2]
    await olena.press("Скарга")
    await olena.press("Дороги")
    await olena.send("Яма на дорозі біля школи номер 5, небезпечно для дітей")
    await olena.message({"type": "sticker", "sticker_id": 40133})
    assert "фото чи документ" in olena.last.text or "Крок 4 з 7" in olena.last.text
    await olena.picture("IMG_0042.jpg", PHOTO)
    assert "1 з 3" in olena.last.text
    await olena.press("Далі")
    assert "Крок 5 з 7" in olena.last.text
    assert olena.button("Пропустити")["ActionBody"].startswith("cb:")
    await olena.location(*IN_CITY)
    await olena.press("Лише мені")
    assert "Крок 7 з 7" in olena.last.text
    await olena.press("Подати звернення")
    number = f"З-{utcnow().year}-000001"
    assert number in olena.last.text
    return olena.id, number


async def test_a_viber_appeal_reaches_telegram_staff_and_the_answer_comes_back(
        viber_factory: ViberFactory):
    viber = await viber_factory(share_telegram_files=True)
    viber_id, number = await _file_an_appeal(viber)
    async with viber.telegram.sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None and (appeal.latitude, appeal.longitude) == IN_CITY
        [photo] = (await session.scalars(select(AppealAttachment))).all()
    assert photo.file_id.startswith("media:") and photo.file_id.endswith("IMG_0042.jpg")

    telegram = viber.telegram
    await telegram.make_staff(900, Role.MODERATOR)
    staff = telegram.resident(900, first_name="Мод")
    await staff.send("/appeals")
    await staff.press("Дороги")
    await staff.press(number)
    await staff.press("Файли")
    [uploaded] = [s for s in telegram.fake.to_chat(900) if s.method == "sendPhoto"]
    # The picture Viber sent is uploaded from the store: Telegram knows no such file id.
    attached = uploaded.params["photo"]
    assert attached.startswith("attach://")
    upload = uploaded.params[attached.removeprefix("attach://")]
    assert upload["content"] == PHOTO and upload["filename"] == "IMG_0042.jpg"
    assert any(m == "sendlocation" for m, _ in telegram.fake.calls)

    await staff.press("Відповісти")
    await staff.send("Яму засипано 25 листопада.")
    await staff.document("act.pdf", "application/pdf", file_id="answer-act")
    assert "надано відповідь" in staff.last.text
    assert await viber.deliver() >= 2
    olena = next(u for u in viber.users if u.id == viber_id)
    assert any("Яму засипано 25 листопада." in t for t in olena.texts())
    # The Telegram file is copied into the store once, and Viber fetches it by a link.
    [file_message] = [s for s in olena.sent if s.type in ("picture", "file")]
    url = file_message.body["media"]
    assert url.startswith(viber.base_url + "/media/")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200 and await response.read() == b"\x89PNG fake file body"
    gets = [p for m, p in telegram.fake.calls if m == "getfile"]
    assert [p["file_id"] for p in gets] == ["answer-act"]
    # The same file again (another process, a redelivery) is found in the store.
    assert await viber.channel.outgoing.fetch_attachment("answer-act") is not None
    assert len([m for m, _ in telegram.fake.calls if m == "getfile"]) == 1


async def test_a_viber_staff_member_opens_a_telegram_appeal_with_its_photo(
        viber_factory: ViberFactory):
    viber = await viber_factory(share_telegram_files=True)
    telegram = viber.telegram
    author = telegram.resident(310)
    await author.onboard()
    await author.send("/menu")
    await author.press("Звернення")
    await author.press("Нове звернення")
    await author.press("Скарга")
    await author.press("Дороги")
    await author.send("Не працює світлофор на перехресті Миру і Соборної")
    await author.photo("traffic-light")
    await author.press("Далі")
    await author.location(*IN_CITY)
    await author.press("Лише мені")
    await author.press("Подати звернення")
    number = f"З-{utcnow().year}-000001"

    moderator = viber.resident("MMMMMMMMMMMMMMMMMMMMMM==", name="Мод")
    await moderator.onboard()
    await viber.make_staff(moderator.id, Role.MODERATOR)
    await moderator.send("/appeals")  # a staff command typed as text on Viber
    await moderator.press("Дороги")
    await moderator.press(number)
    assert "Не працює світлофор" in moderator.last.text
    await moderator.press("Файли")
    kinds = [s.type for s in moderator.sent[-3:]]
    assert "picture" in kinds and "location" in kinds
    picture = next(s for s in moderator.sent[-3:] if s.type == "picture")
    assert picture.body["media"].endswith(".jpg")
    await moderator.press("Взяти собі")
    assert "viber:MMMMMMMMMMMMMMMMMMMMMM==" in moderator.last.text


async def test_a_photo_broadcast_from_viber_is_uploaded_to_telegram_once(viber: ViberApp):
    from bot.channels.media import MediaStore
    from bot.channels.telegram.transport import TelegramTransport
    from bot.outbox.worker import Sender

    telegram = viber.telegram
    press = viber.resident("PPPPPPPPPPPPPPPPPPPPPP==", name="Прес")
    await press.onboard()
    await viber.make_staff(press.id, Role.PRESS)
    readers = [telegram.resident(700 + i) for i in range(2)]
    for reader in readers:
        await reader.onboard()
        await reader.send("/subscriptions")
        await reader.press("Новини міста")
    viewer = viber.resident("VVVVVVVVVVVVVVVVVVVVVV==", name="Глядачка")
    await viewer.onboard()
    await viewer.press("Обрати теми")
    await viewer.press("Новини міста")

    await press.send("/broadcast")
    await press.picture("flood.jpg", PHOTO, caption="Підтоплення на вулиці Миру")
    await press.press("Новини міста")
    await press.press("Усі райони")
    await press.press("Надіслати зараз")
    await jobs.run_tick(telegram.sessionmaker, "test", telegram.jobs)

    transport = TelegramTransport(telegram.bot, rate_per_second=1000, per_chat_interval=0,
                                  store=MediaStore.reader(viber.media_dir))
    assert await Sender(transport, telegram.sessionmaker, worker_id="t").drain() == 2
    photos = [s for s in telegram.fake.sent if s.method == "sendPhoto"]
    assert len(photos) == 2
    first, second = (p.params["photo"] for p in photos)
    assert first.startswith("attach://")  # uploaded from the store ...
    assert photos[0].params[first.removeprefix("attach://")]["content"] == PHOTO
    assert second == "sent-photo"  # ... once: then the file id Telegram gave it
    assert await viber.deliver() >= 1
    picture = next(s for s in viewer.sent if s.type == "picture")
    assert picture.body["media"].endswith("/flood.jpg")
    assert "Підтоплення на вулиці Миру" in picture.text
