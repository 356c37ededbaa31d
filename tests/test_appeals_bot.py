"""Appeals through the real dispatcher and the fake Bot API: every step, bad input, staff side."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.appeals import FollowupCB
from services import appeals, jobs
from services.db import utcnow
from services.models import Resident, Role
from services.models.appeals import Appeal, AppealDraft, AppealSupporter
from tests.fakes.resident import ResidentClient

IN_CITY = (48.86, 37.60)
FAR_AWAY = (50.45, 30.52)


async def _count(bot_app, model) -> int:
    async with bot_app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def _open_new(c: ResidentClient) -> None:
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Нове звернення")


async def _file_to_confirm(c: ResidentClient, text: str = "Яма на дорозі біля школи номер 5, "
                           "небезпечно для дітей") -> None:
    await _open_new(c)
    await c.press("Скарга")
    await c.press("Дороги")
    await c.send(text)
    await c.press("Без файлів")
    await c.press("Пропустити")


async def test_followup_callback_matches_the_factory():
    assert FollowupCB(appeal_id=42, answer="yes").pack() == appeals.followup_callback(42, "yes")


async def test_resident_without_profile_is_told_why_and_returns_to_the_appeal(bot_app):
    c = bot_app.resident(301)
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Нове звернення")
    assert any("Анонімні звернення не розглядаються" in t for t in c.texts())
    assert await _count(bot_app, AppealDraft) == 0
    await c.press("Погоджуюся")
    await c.contact("+380501110301")
    await c.send("Коваленко Олена")
    await c.send("вул. Шевченка")
    await c.send("12")
    assert "Крок 1 з 6" in c.last.text and "вид звернення" in c.last.text


async def test_every_step_with_back_and_bad_input(bot_app):
    c = bot_app.resident(302)
    await c.onboard()
    await _open_new(c)
    assert "Крок 1 з 6" in c.last.text
    await c.press("Пропозиція")
    assert "Крок 2 з 6" in c.last.text
    await c.press("Назад")
    assert "Крок 1 з 6" in c.last.text
    await c.press("Скарга")
    await c.press("Дороги")
    assert "Крок 3 з 6" in c.last.text
    replies = await c.sticker()
    assert "текстом" in replies[-1].text and "Крок 3 з 6" in replies[-1].text
    replies = await c.send("Коротко")
    assert "закороткий" in replies[-1].text
    replies = await c.send("я" * (bot_app.settings.appeal_text_max + 1))
    assert "задовгий" in replies[-1].text and "Крок 3 з 6" in replies[-1].text
    await c.send("Яма <b>на</b> дорозі біля школи номер 5")
    assert "Крок 4 з 6" in c.last.text
    replies = await c.document("virus.exe", "application/x-msdownload")
    assert "не підтримується" in replies[-1].text and "Крок 4 з 6" in replies[-1].text
    too_big = bot_app.settings.appeal_max_file_mb * 1024 * 1024 + 1
    replies = await c.photo("big-photo", file_size=too_big)
    assert "завеликий" in replies[-1].text
    replies = await c.photo("pothole-1")
    assert "1 з 3" in replies[-1].text
    replies = await c.document("plan.pdf", "application/pdf", file_id="plan-1")
    assert "2 з 3" in replies[-1].text
    replies = await c.send("ось іще")
    assert "фото чи документ" in replies[-1].text
    await c.press("Далі")
    assert "Крок 5 з 6" in c.last.text
    replies = await c.location(*FAR_AWAY)
    assert "поза межами міста" in replies[-1].text
    await c.press("інше місце")
    assert "Крок 5 з 6" in c.last.text
    await c.send("вул. Соборна, 3")
    assert "Крок 6 з 6" in c.last.text
    summary = c.last.text
    assert "вул. Соборна, 3" in summary and "Коваленко Олена Петрівна" in summary
    assert "&lt;b&gt;на&lt;/b&gt;" in summary or "<b>на</b>" not in summary
    assert await _count(bot_app, Appeal) == 0  # nothing registered before "Submit"
    await c.press("Подати звернення")
    year = utcnow().year
    assert f"З-{year}-000001" in c.last.text and "Відповідь — не пізніше" in c.last.text
    async with bot_app.sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None and appeal.location_text == "вул. Соборна, 3"
        assert [a.file_id for a in appeal.attachments] == ["pothole-1", "plan-1"]
        assert appeal.text == "Яма <b>на</b> дорозі біля школи номер 5"
    assert await _count(bot_app, AppealDraft) == 0


async def test_location_outside_city_can_be_confirmed(bot_app):
    c = bot_app.resident(303)
    await c.onboard()
    await _open_new(c)
    await c.press("Заява")
    await c.press("Транспорт")
    await c.send("Автобус номер 12 не ходить за розкладом вранці")
    await c.press("Без файлів")
    await c.sticker()
    assert "геолокацію" in c.last.text
    await c.location(*FAR_AWAY)
    await c.press("Так, саме тут")
    assert "Крок 6 з 6" in c.last.text and "50.45000" in c.last.text
    await c.location(*IN_CITY)  # a stray message at the confirmation step
    assert "кнопками" in c.last.text
    await c.press("Подати звернення")
    async with bot_app.sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None and (appeal.latitude, appeal.longitude) == FAR_AWAY


async def test_album_of_ten_keeps_three_and_says_so_once(bot_app):
    c = bot_app.resident(304)
    await c.onboard()
    await _open_new(c)
    await c.press("Скарга")
    await c.press("Екологія")
    await c.send("Сміттєзвалище біля річки, потрібна перевірка")
    for i in range(10):
        await c.photo(f"album-{i}", media_group_id="album-1")
    warnings = [t for t in c.texts() if "не більше 3 файлів" in t]
    assert len(warnings) == 1
    async with bot_app.sessionmaker() as session:
        draft = await session.scalar(select(AppealDraft))
        assert draft is not None
        assert [f["file_id"] for f in draft.data["files"]] == ["album-0", "album-1", "album-2"]


async def test_abandoned_draft_can_be_resumed_or_discarded(bot_app):
    c = bot_app.resident(305)
    await c.onboard()
    await _open_new(c)
    await c.press("Пропозиція")
    await c.press("Транспорт")
    await c.send("/menu")  # walks away halfway
    await c.press("Звернення")
    await c.press("Продовжити чернетку")
    assert "Крок 3 з 6" in c.last.text
    await c.send("Додати автобусний маршрут до нового мікрорайону")
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Нове звернення")
    assert "незавершене звернення" in c.last.text
    await c.press("Продовжити")
    assert "Крок 4 з 6" in c.last.text
    await c.press("Скасувати")
    assert "Чернетку видалено" in c.last.text
    assert await _count(bot_app, AppealDraft) == 0
    assert await _count(bot_app, Appeal) == 0


async def test_duplicates_shown_before_submit_and_support_instead(bot_app):
    first = bot_app.resident(306)
    await first.onboard()
    await _file_to_confirm(first, "Велика яма на дорозі по вулиці Шевченка біля школи")
    await first.press("Подати звернення")
    second = bot_app.resident(307)
    await second.onboard()
    await _file_to_confirm(second, "Яма на дорозі вулиці Шевченка, небезпечно")
    assert "Схожі звернення" in second.last.text
    year = utcnow().year
    await second.press(f"Підтримати З-{year}-000001")
    assert "Ви підтримали звернення" in second.last.text
    assert await _count(bot_app, Appeal) == 1
    assert await _count(bot_app, AppealSupporter) == 1
    assert await _count(bot_app, AppealDraft) == 0
    # Ignoring the suggestion files a separate appeal.
    third = bot_app.resident(308)
    await third.onboard()
    await _file_to_confirm(third, "Яма на дорозі вулиці Шевченка, треба залатати")
    await third.press("подати моє звернення")
    assert "Крок 6 з 6" in third.last.text
    await third.press("Подати звернення")
    assert await _count(bot_app, Appeal) == 2


async def test_my_appeals_pages_and_card_with_history(bot_app):
    c = bot_app.resident(309)
    await c.onboard()
    rules = appeals.AppealRules()
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        for i in range(6):
            await appeals.register(session, rules, resident, kind="proposal",
                                   category="other", text=f"Пропозиція номер {i} щодо міста")
        first = await session.scalar(select(Appeal).where(Appeal.seq == 1))
        assert first is not None
        await appeals.extend(session, rules, "telegram:1", first.id,
                             new_deadline=first.deadline + timedelta(days=10),
                             reason="Потрібен висновок експертів")
        await session.commit()
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Мої звернення")
    year = utcnow().year
    assert "сторінка 1 з 2" in c.last.text
    assert len([b for b in c.last.buttons if f"З-{year}-" in b["text"]]) == 5
    await c.press("Наступні")
    assert "сторінка 2 з 2" in c.last.text
    await c.press(f"З-{year}-000001")
    card = c.last.text
    assert "строк продовжено" in card and "Потрібен висновок експертів" in card
    assert "зареєстровано" in card
    await c.press("Назад")
    assert "сторінка 2 з 2" in c.last.text


async def test_filing_with_a_photo_to_the_answer_and_the_followup(bot_app_factory):
    """End to end: file with a photo, staff answer with a document, delivery, follow-up."""
    bot_app = await bot_app_factory(appeal_followup_days=0)
    olena = bot_app.resident(310)
    await olena.onboard()
    await _open_new(olena)
    await olena.press("Скарга")
    await olena.press("Дороги")
    await olena.send("Не працює світлофор на перехресті Миру і Соборної")
    await olena.photo("traffic-light")
    await olena.press("Далі")
    await olena.location(*IN_CITY)
    await olena.press("Подати звернення")
    year = utcnow().year
    number = f"З-{year}-000001"
    assert number in olena.last.text

    staff = bot_app.resident(900, first_name="Мод")
    await bot_app.make_staff(900, Role.MODERATOR)
    await staff.send("/appeals")
    await staff.press("Дороги")
    await staff.press(number)
    await staff.press("Передати")
    await staff.press("Відділ доріг")
    await staff.press("Відповісти")
    await staff.send("Світлофор відремонтовано 25 листопада.")
    await staff.document("act.pdf", "application/pdf", file_id="answer-act")
    assert "надано відповідь" in staff.last.text

    await bot_app.deliver()
    texts = olena.texts()
    assert any(number in t and "Відділ доріг" in t for t in texts)
    assert any("Світлофор відремонтовано 25 листопада." in t for t in texts)
    documents = [s for s in olena.sent if s.method == "sendDocument"]
    assert len(documents) == 1 and documents[0].params.get("document") == "answer-act"

    await jobs.run_tick(bot_app.sessionmaker, "test")
    await bot_app.deliver()
    assert "Чи вирішено ваше питання?" in olena.last.text
    await olena.press("Так, вирішено")
    assert "закрито як вирішене" in olena.last.text
    await olena.press("5 ⭐")
    assert "Дякуємо за оцінку" in olena.last.text
    async with bot_app.sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None
        assert (appeal.status, appeal.satisfaction, appeal.resolved) == ("closed", 5, True)


async def test_followup_no_reopens_with_the_comment_for_staff(bot_app_factory):
    bot_app = await bot_app_factory(appeal_followup_days=0)
    c = bot_app.resident(311)
    await c.onboard()
    await bot_app.make_staff(901, Role.MODERATOR)
    rules = appeals.AppealRules()
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        appeal = await appeals.register(session, rules, resident, kind="complaint",
                                        category="utilities", text="Немає гарячої води тиждень")
        await appeals.answer(session, rules, "telegram:901", appeal.id,
                             "Воду подано 20 листопада.", now=utcnow() - timedelta(days=1))
        await appeals.ask_followup(session, appeal.id)
        await session.commit()
    await bot_app.deliver()
    await c.press("Ні")
    assert "Що саме залишилося невирішеним" in c.last.text
    await c.sticker()
    assert "причину" in c.last.text
    await c.send("Вода знову зникла вчора")
    assert "відновлено" in c.last.text
    await c.press("2 ⭐")
    await bot_app.deliver()
    staff_texts = [s.text or "" for s in bot_app.fake.to_chat(901)]
    assert any("Вода знову зникла вчора" in t for t in staff_texts)
    async with bot_app.sessionmaker() as session:
        stored = await session.get(Appeal, appeal.id)
        assert stored is not None and stored.status == "reopened" and stored.satisfaction == 2
