"""Every resident flow on Viber through the real dispatcher: petitions (browse, card, sign,
withdraw, create, share), subscriptions and events with remind-me, settings, /forget, help."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote

from sqlalchemy import func, select, update

from services import events, jobs, petitions, subscriptions
from services.db import utcnow
from services.models import (
    Petition,
    PetitionStatus,
    Resident,
    Role,
    ScheduledTask,
    Signature,
    Topic,
)
from services.models.broadcasts import EventKind
from tests.fakes.viber_api import BOT_URI
from tests.viber_residents import onboarded

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)

TITLE = "Відремонтувати дорогу на вулиці Миру"
TEXT = "Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру до кінця року."


async def _publish(viber: ViberApp, author: Resident, title: str = TITLE) -> int:
    rules = petitions.PetitionRules(max_pending_per_author=100)
    async with viber.telegram.sessionmaker() as session:
        petition = await petitions.create(session, rules, await session.get(Resident, author.id),
                                          title=title, text=TEXT)
        await petitions.approve(session, rules, "test", petition.id)
        await session.commit()
        return petition.id


async def test_petitions_create_browse_sign_withdraw_and_share(viber: ViberApp):
    await viber.telegram.make_staff(900, Role.MODERATOR)
    author = await onboarded(viber)
    await author.send("/menu")
    await author.press("Петиції")
    await author.press("Створити петицію")
    assert "Крок 1 з 3" in author.last.text
    await author.send("Коротко")
    assert "закоротка" in author.last.text and "Крок 1 з 3" in author.last.text
    await author.send("<b>Ремонт</b> дороги на *Миру*")
    await author.send(TEXT)
    preview = author.last.text
    assert "Крок 3 з 3" in preview and "<b>Ремонт</b> дороги на *Миру*" in preview
    await author.press("Подати петицію")
    assert "подано" in author.last.text
    async with viber.telegram.sessionmaker() as session:
        row = await session.scalar(select(Petition))
        assert row is not None and row.status == PetitionStatus.MODERATION
    # The moderators on Telegram are told; the author's own list shows it.
    await author.press("Мої петиції")
    assert "На модерації" in author.last.text

    resident = await viber.resident_of(author.id)
    assert resident is not None
    pid = await _publish(viber, resident)
    signer = await onboarded(viber, "SSSSSSSSSSSSSSSSSSSSSS==", "Петренко Іван Іванович")
    await signer.send("/menu")
    await signer.press("Петиції")
    await signer.press("Нові")
    await signer.press("Відремонтувати дорогу")
    number = (await _row(viber, pid)).number
    assert f"Петиція №{number}" in signer.last.text and "*" in signer.last.text
    await signer.press("Підписати")
    assert any("Ваш підпис враховано" in t for t in signer.texts()[-2:])
    assert "Ви підписали цю петицію" in signer.texts()[-2] or \
        "Ви підписали цю петицію" in signer.last.text
    await signer.press("Відкликати")
    assert any("відкликано" in t for t in signer.texts()[-2:])
    await signer.press("Підписати")
    async with viber.telegram.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Signature)) == 1
    # No inline mode on Viber: sharing forwards the title and the card's Viber link.
    share = signer.button("Поділитися")
    assert share["ActionType"] == "open-url"
    forwarded = unquote(share["ActionBody"])
    assert forwarded.startswith("viber://forward?text=")
    assert f"№{number} {TITLE}" in forwarded
    assert f"viber://pa?chatURI={BOT_URI}&context=petition_{pid}" in forwarded
    # The shared link opens the card for whoever follows it.
    visitor = viber.resident("VVVVVVVVVVVVVVVVVVVVVV==", name="Гість")
    await visitor.open_chat(context=f"petition_{pid}")
    await visitor.press("Почати")
    assert f"Петиція №{number}" in visitor.last.text


async def _row(viber: ViberApp, pid: int) -> Petition:
    async with viber.telegram.sessionmaker() as session:
        row = await session.get(Petition, pid)
        assert row is not None
        return row


async def test_subscriptions_events_and_a_reminder_delivered_on_viber(viber: ViberApp):
    olena = await onboarded(viber)
    await olena.send("/subscriptions")
    await olena.press("Новини міста")
    assert "Підписано: Новини міста" in olena.last.text
    resident = await viber.resident_of(olena.id)
    assert resident is not None
    async with viber.telegram.sessionmaker() as session:
        assert await subscriptions.topics_of(session, resident.id) == {Topic.CITY_NEWS}
        event = await events.create_event(
            session, actor="test", kind=EventKind.PRESS_CONFERENCE, title="Мер <про> бюджет",
            starts_at=utcnow() + timedelta(hours=2), stream_url="https://youtube.com/live/x",
            place="Зала ради")
        await session.commit()
    await olena.send("/events")
    assert "Мер <про> бюджет" in olena.last.text  # entities unescaped for Viber
    await olena.press("Нагадати: Мер")
    assert olena.last.text == "Нагадаю про «Мер <про> бюджет»."
    async with viber.telegram.sessionmaker() as session:
        assert await events.has_reminder(session, event.id, resident.id)
    before = len(olena.sent)
    async with viber.telegram.sessionmaker() as session:  # the start comes: "live" is due
        await session.execute(update(ScheduledTask).values(due_at=utcnow()))
        await session.commit()
    await jobs.run_tick(viber.telegram.sessionmaker, "test", viber.telegram.jobs)
    assert await viber.deliver() >= 1
    assert any("Мер <про> бюджет" in t for t in olena.texts()[before:])


async def test_settings_help_and_forget_on_viber(viber: ViberApp):
    olena = await onboarded(viber)
    await olena.send("/help")
    assert "/menu" in olena.last.text
    await olena.send("/settings")
    assert "Профіль і налаштування" in olena.last.text
    # One messenger: nothing to choose about where notifications go.
    assert not any("Сповіщення" in label for label in olena.labels())
    await olena.press("Тихі години")
    await olena.send("двадцять")
    assert "22-8" in olena.last.text
    await olena.send("22-7")
    assert "22:00–07:00" in olena.last.text
    await olena.press("Мова")
    await olena.press("English")
    assert "Profile and settings" in olena.last.text
    await olena.press("Delete my data")
    await olena.press("Yes, delete")
    resident = await viber.resident_of(olena.id)
    assert resident is None or resident.forgotten_at is not None
    assert await viber.identity(olena.id) is None


async def test_a_bad_input_on_viber_gets_the_same_question_again(viber: ViberApp):
    olena = viber.resident()
    await olena.open_chat()
    for label in ("Почати", "Українська", "Погоджуюся"):
        await olena.press(label)
    await olena.message({"type": "video", "media": viber.fake.add_media("v.mp4", b"0"),
                         "size": 1, "duration": 1})
    assert "Поділитися номером" in olena.labels()[0] or olena.button("Поділитися номером")
    await olena.send("мій номер 0501234567")
    assert olena.button("Поділитися номером")
