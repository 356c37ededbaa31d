"""The moderators' poll dialogs through the real dispatcher: the creation wizard (every bad
answer refused with the same question again, back, cancel, a restart in the middle, preview
and publish), the staff card (live tally, edit before the first answer, close early, the
anonymised export), and creation-to-results end to end with the chart through the outbox."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from services import jobs, subscriptions
from services.db import utcnow
from services.models import AuditEntry, Draft, OutboxMessage, Role
from services.models.broadcasts import Topic
from services.polls import manage
from services.polls.models import Poll, PollStatus
from services.timeutil import to_local
from tests.fakes.telegram_api import BOT_USERNAME
from tests.polls_support import (
    DISTRICT_NAMES,
    MODERATOR,
    bot_poll,
    choices_of,
    png_size,
    poll_row,
    uploaded_photo,
)
from tests.test_polls_bot import alerts, onboarded, resident_of

MOD = int(MODERATOR.external_id)


def local(days: int, at: str = "18:00") -> str:
    """A moment `days` from now as a moderator types it: `25.12.2026 18:00` (Kyiv time)."""
    return to_local(utcnow() + timedelta(days=days)).strftime("%d.%m.%Y ") + at


async def count(bot_app, model) -> int:
    async with bot_app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def moderator_of(bot_app):
    await bot_app.make_staff(MOD, Role.MODERATOR)
    return bot_app.resident(MOD, "Модератор")


async def create_poll(mod, *, options: str = "Так\nНі", closes: str | None = None,
                      opens: str | None = None, announce: str = "Так, повідомити") -> None:
    """The whole wizard with good answers (a council without districts)."""
    await mod.send("/polls_admin")
    await mod.press("Нове опитування")
    await mod.send("Чи облаштувати велодоріжку на проспекті Миру?")
    await mod.press("Без опису")
    await mod.send(options)
    await mod.press("Один варіант")
    if opens is None:
        await mod.press("Одразу")
    else:
        await mod.send(opens)
    await mod.send(closes or local(7))
    await mod.press("Після закриття")
    await mod.press(announce)
    assert "Перегляд" in mod.last.text
    await mod.press("Опублікувати")


# ---- creation -----------------------------------------------------------------------------


async def test_the_wizard_refuses_each_bad_answer_and_publishes_what_the_preview_showed(
        bot_app_factory):
    app = await bot_app_factory(districts=DISTRICT_NAMES)
    mod = await moderator_of(app)
    await mod.send("/polls_admin")
    assert "Опитувань ще немає" in mod.last.text
    await mod.press("Нове опитування")
    assert "Крок 1 з 10" in mod.last.text and "Напишіть питання" in mod.last.text

    async def refused(typed: str, reason: str, step: int) -> None:
        replies = await mod.send(typed)
        assert reason in replies[-1].text and f"Крок {step} з 10" in replies[-1].text, typed

    await refused("  ...  ", "Питання порожнє", 1)
    await refused("Чому " * 70, "Питання задовге", 1)
    await mod.sticker()
    assert "Надішліть, будь ласка, текст" in mod.last.text
    await mod.send("Що облаштувати у сквері на вулиці Миру?")
    assert "Крок 2 з 10" in mod.last.text
    await mod.send("Рада має 2 млн грн на сквер. Оберіть, що важливіше.")
    assert "Крок 3 з 10" in mod.last.text
    await refused("Лавки", "щонайменше 2 варіанти", 3)
    await refused("Лавки\nлавки", "повторюється", 3)
    await refused("Лавки\n—\nЛіхтарі", "порожній", 3)
    await refused("\n".join(f"Варіант {k}" for k in range(11)), "Забагато варіантів", 3)
    await mod.send("1. Лавки\n2. Ліхтарі\n3. Фонтан")
    assert "Крок 4 з 10" in mod.last.text and "від 2 до 3" in mod.last.text
    await refused("5", "не більше, ніж їх є", 4)
    await refused("багато", "Напишіть число від 2 до 3", 4)
    await mod.send("2")
    assert "Крок 5 з 10" in mod.last.text and "2. Північний" in mod.last.text
    await refused("Заводський", "Району «Заводський» немає", 5)
    await mod.send("1, Північний")
    assert "Крок 6 з 10" in mod.last.text
    await refused("колись згодом", "Не вдалося прочитати час", 6)
    await mod.press("Одразу")
    assert "Крок 7 з 10" in mod.last.text
    await refused("01.01.2020 10:00", "уже минув", 7)
    await refused("32.13 25:00", "Не вдалося прочитати час", 7)
    await mod.send(local(10))
    assert "Крок 8 з 10" in mod.last.text
    await refused("після", "кнопками", 8)
    await mod.press("Після закриття")
    assert "Крок 9 з 10" in mod.last.text
    await mod.press("Так, повідомити")
    preview = mod.last.text
    assert "Крок 10 з 10" in preview and "Перегляд" in preview
    assert "Що облаштувати у сквері" in preview and "2. Ліхтарі" in preview
    assert "Для мешканців районів: Центральний, Північний" in preview
    assert "до 2 варіантів" in preview and "одразу після публікації" in preview
    await mod.press("Назад")
    assert "Крок 9 з 10" in mod.last.text
    await mod.press("Ні")
    assert "Без повідомлення" in mod.last.text
    assert await count(app, Poll) == 0  # nothing outside the draft before "Publish"
    await mod.press("Опублікувати")
    assert "Опитування опубліковано" in mod.last.text
    async with app.sessionmaker() as session:
        poll = await session.scalar(select(Poll))
        options = [o.text for o in await manage.options_of(session, poll.id)]
        actions = set(await session.scalars(select(AuditEntry.action)))
    assert poll.status == PollStatus.PUBLISHED and poll.districts == ["Центральний", "Північний"]
    assert (poll.multiple, poll.max_choices, poll.announce) == (True, 2, False)
    assert poll.description.startswith("Рада має 2 млн грн")
    assert options == ["Лавки", "Ліхтарі", "Фонтан"]
    assert {"poll.create", "poll.publish"} <= actions
    assert await count(app, Draft) == 0


async def test_cancel_drops_the_draft_and_a_restart_continues_the_dialog(bot_app_factory):
    app = await bot_app_factory()
    mod = await moderator_of(app)
    await mod.send("/polls_admin")
    await mod.press("Нове опитування")
    assert "Крок 1 з 9" in mod.last.text  # no districts configured: no district step
    await mod.send("Чи продовжити роботу бібліотеки до 20:00?")
    question_two = copy.deepcopy(mod.last)
    app = await bot_app_factory()  # a restart: fresh FSM storage, the same database
    mod = app.resident(MOD, "Модератор")
    await mod.send("Бібліотека зараз працює до 18:00.")
    assert "Крок 3 з 9" in mod.last.text
    await mod.press("Скасувати")
    assert "скасовано, чернетку видалено" in mod.last.text
    assert await count(app, Draft) == 0
    await mod.press("Без опису", question_two)
    assert alerts(mod) == ["Це створення опитування вже завершено. Почніть нове: /polls_admin"]
    await mod.send("Бібліотека")
    assert await count(app, Poll) == 0 and await count(app, Draft) == 0


async def test_a_closing_time_that_passed_before_publishing_is_refused(bot_app):
    mod = await moderator_of(bot_app)
    await mod.send("/polls_admin")
    await mod.press("Нове опитування")
    await mod.send("Питання про парк")
    await mod.press("Без опису")
    await mod.send("Так\nНі")
    await mod.press("Один варіант")
    await mod.send(local(3, "10:00"))
    await mod.send(local(2))  # closes before it opens
    assert "пізніше, ніж відкриється" in mod.last.text and "Крок 6 з 9" in mod.last.text
    await mod.send(local(4))
    await mod.press("Після закриття")
    await mod.press("Ні")
    async with bot_app.sessionmaker() as session:  # time passes at the preview
        draft = await session.scalar(select(Draft))
        draft.data = {**draft.data, "closes": (utcnow() - timedelta(minutes=1)).isoformat()}
        await session.commit()
    await mod.press("Назад")
    await mod.press("Ні")
    assert "Цей час уже минув" in mod.last.text  # the preview says what is wrong
    await mod.press("Опублікувати")
    assert "Цей час уже минув" in alerts(mod)[0]
    assert await count(bot_app, Poll) == 0 and await count(bot_app, Draft) == 1


# ---- the staff card -----------------------------------------------------------------------


async def test_the_staff_card_edits_before_the_first_answer_closes_early_and_exports(bot_app):
    poll_id = await bot_poll(bot_app)
    mod = await moderator_of(bot_app)
    await mod.send("/polls_admin")
    await mod.press("🟢 Чи потрібен сквер")
    assert "Поточний підсумок" in mod.last.text and "Ніхто не відповів" in mod.last.text
    await mod.press("✏️ Питання")
    assert "Напишіть нове питання" in mod.last.text
    await mod.sticker()
    assert "Надішліть, будь ласка, текст" in mod.last.text
    await mod.send("Чи потрібен сквер біля школи №3?")
    assert "Збережено" in mod.last.text and "біля школи №3" in mod.last.text
    stale_edit = copy.deepcopy(mod.last)
    await mod.press("✏️ Опис")
    await mod.send("-")
    assert "Збережено" in mod.last.text

    olena = await onboarded(bot_app, 41)
    await olena.send(f"/start poll_{poll_id}")
    await olena.press("1. Так")
    await mod.press("Оновити")
    assert "✏️" not in str(mod.last.buttons) and "1 · 100%" in mod.last.text
    await mod.press("✏️ Варіанти", stale_edit)  # a card from before the answer
    assert "щойно змінили" in alerts(mod)[0]
    assert (await poll_row(bot_app, poll_id)).question == "Чи потрібен сквер біля школи №3?"

    await mod.press("CSV")
    document = mod.last
    assert document.method == "sendDocument" and "район і варіант" in document.text
    upload = document.params[document.params["document"].removeprefix("attach://")]
    rows = list(csv.reader(io.StringIO(upload["content"].decode("utf-8-sig"))))
    assert rows == [["район", "номер варіанта", "варіант"], ["невідомо", "1", "Так"]]
    assert "Коваленко" not in upload["content"].decode("utf-8-sig")

    shown = (await mod.press("Закрити достроково"))[-1]  # the card, edited in place
    assert "Закрити опитування" in shown.text and "Відповіла 1 особа" in shown.text
    shown = (await mod.press("Так, закрити"))[-1]
    assert "Опитування закрито" in shown.text and "Закрите" in shown.text
    assert "Закрити достроково" not in str(shown.reply_markup)
    poll = await poll_row(bot_app, poll_id)
    assert poll.status == PollStatus.CLOSED and poll.closed_by == MODERATOR.key
    async with bot_app.sessionmaker() as session:
        actions = list(await session.scalars(select(AuditEntry.action)
                                             .where(AuditEntry.action.like("poll.%"))
                                             .order_by(AuditEntry.id)))
    assert actions == ["poll.create", "poll.publish", "poll.edit", "poll.edit", "poll.export",
                       "poll.close"]


# ---- end to end ---------------------------------------------------------------------------


async def test_from_creation_to_the_published_results_with_the_chart(bot_app):
    mod = await moderator_of(bot_app)
    voters = [await onboarded(bot_app, 50 + k) for k in range(3)]
    follower = await onboarded(bot_app, 60)
    async with bot_app.sessionmaker() as session:
        for client in (voters[0], follower):
            resident = await resident_of(bot_app, client.user_id)
            await subscriptions.subscribe(session, resident.id, [Topic.CONSULTATIONS])
        await session.commit()
    await create_poll(mod, options="Так\nНі\nНе знаю")
    assert "Опитування опубліковано" in mod.last.text
    async with bot_app.sessionmaker() as session:
        poll_id = (await session.scalar(select(Poll))).id

    # The opening goes to the followers through the outbox, with a link to the card.
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await bot_app.deliver()
    opened = [s for s in follower.sent if "Нове опитування" in (s.text or "")]
    assert len(opened) == 1
    assert opened[0].button("Відкрити опитування")["url"] == \
        f"https://t.me/{BOT_USERNAME}?start=poll_{poll_id}"

    for voter, option in zip(voters, ("1. Так", "1. Так", "2. Ні"), strict=True):
        await voter.send(f"/start poll_{poll_id}")
        await voter.press(option)
    await mod.send("/polls_admin")
    await mod.press("велодоріжку")
    await mod.press("Закрити достроково")
    await mod.press("Так, закрити")

    before = len(bot_app.fake.sent)
    for _ in range(2):  # two ticks: the results go out once
        await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
        await bot_app.deliver()
    photos = [s for s in bot_app.fake.sent[before:] if s.method == "sendPhoto"]
    assert sorted(s.chat_id for s in photos) == sorted([50, 51, 52, 60])  # answered + follower
    uploads = [uploaded_photo(s.params) for s in photos]
    assert sum(u is not None for u in uploads) == 1  # the chart is uploaded once
    upload = next(u for u in uploads if u is not None)
    width, height = png_size(upload["content"])
    assert width == 1080 and 400 <= height <= 2000 and upload["size"] < 400_000
    assert {s.params["photo"] for s in photos if uploaded_photo(s.params) is None} == \
        {"sent-photo"}
    caption = photos[0].text
    assert "Результати опитування" in caption and "2 · 67%" in caption and "🏆" in caption
    async with bot_app.sessionmaker() as session:
        statuses = set(await session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.dedupe_key.like("poll:%"))))
    assert statuses == {"sent"}
    assert await choices_of(bot_app, poll_id, 52) == ["Ні"]
    assert (await poll_row(bot_app, poll_id)).results_sent_at is not None
