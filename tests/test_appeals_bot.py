"""Appeals through the real dispatcher and the fake Bot API: every step, bad input, staff side."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.outbox.presses import feature_presses
from handlers.appeals.callbacks import FollowupCB, MyCardCB, SupportCB
from services import appeals, jobs, timeutil
from services.db import utcnow
from services.models import Resident, Role
from services.models.appeals import Appeal, AppealDraft, AppealSupporter
from services.timeutil import format_date, local_today
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
    await c.press("Лише мені")


def test_the_followup_press_is_packed_as_the_router_reads_it():
    yes = {"text": "Yes", "press": {"action": appeals.FOLLOWUP_PRESS, "appeal_id": 42,
                                    "answer": "yes"}}
    assert feature_presses().pack([[yes]]) == [
        [{"text": "Yes", "callback": FollowupCB(appeal_id=42, answer="yes").pack()}]]


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
    assert "Крок 1 з 7" in c.last.text and "вид звернення" in c.last.text


async def test_every_step_with_back_and_bad_input(bot_app):
    c = bot_app.resident(302)
    await c.onboard()
    await _open_new(c)
    assert "Крок 1 з 7" in c.last.text
    # Typed text where a button is expected: a polite word and the same question again.
    replies = await c.send("скарга")
    assert "кнопками" in replies[-1].text and "Крок 1 з 7" in replies[-1].text
    assert any("Пропозиція" in b["text"] for b in replies[-1].buttons)
    await c.press("Пропозиція")
    assert "Крок 2 з 7" in c.last.text
    await c.press("Назад")
    assert "Крок 1 з 7" in c.last.text
    await c.press("Скарга")
    await c.press("Дороги")
    assert "Крок 3 з 7" in c.last.text
    replies = await c.sticker()
    assert "текстом" in replies[-1].text and "Крок 3 з 7" in replies[-1].text
    replies = await c.send("Коротко")
    assert "закороткий" in replies[-1].text
    replies = await c.send("я" * (bot_app.settings.appeal_text_max + 1))
    assert "задовгий" in replies[-1].text and "Крок 3 з 7" in replies[-1].text
    await c.send("Яма <b>на</b> дорозі біля школи номер 5")
    assert "Крок 4 з 7" in c.last.text
    replies = await c.document("virus.exe", "application/x-msdownload")
    assert "не підтримується" in replies[-1].text and "Крок 4 з 7" in replies[-1].text
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
    assert "Крок 5 з 7" in c.last.text
    replies = await c.location(*FAR_AWAY)
    assert "поза межами міста" in replies[-1].text
    await c.press("інше місце")
    assert "Крок 5 з 7" in c.last.text
    await c.send("вул. Соборна, 3")
    assert "Крок 6 з 7" in c.last.text and "Хто може читати" in c.last.text
    replies = await c.send("усім")
    assert "кнопками" in replies[-1].text and "Крок 6 з 7" in replies[-1].text
    await c.press("Назад")
    assert "Крок 5 з 7" in c.last.text
    await c.send("вул. Соборна, 3")
    await c.press("Лише мені")
    assert "Крок 7 з 7" in c.last.text
    summary = c.last.text
    assert "вул. Соборна, 3" in summary and "Коваленко Олена Петрівна" in summary
    assert "&lt;b&gt;на&lt;/b&gt;" in summary  # user text is escaped
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
    await c.press("Лише мені")
    assert "Крок 7 з 7" in c.last.text and "50.45000" in c.last.text
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
    assert "Крок 3 з 7" in c.last.text
    await c.send("Додати автобусний маршрут до нового мікрорайону")
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Нове звернення")
    assert "незавершене звернення" in c.last.text
    await c.press("Продовжити")
    assert "Крок 4 з 7" in c.last.text
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
    assert "Крок 7 з 7" in third.last.text
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
    await olena.press("Лише мені")
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

    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
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
    assert "Що саме залишилося невирішеним" in c.last.text  # and the same question again
    await c.send("Вода знову зникла вчора")
    assert "відновлено" in c.last.text
    await c.press("2 ⭐")
    await bot_app.deliver()
    staff_texts = [s.text or "" for s in bot_app.fake.to_chat(901)]
    assert any("Вода знову зникла вчора" in t for t in staff_texts)
    async with bot_app.sessionmaker() as session:
        stored = await session.get(Appeal, appeal.id)
        assert stored is not None and stored.status == "reopened" and stored.satisfaction == 2


# --- moderators --------------------------------------------------------------------------


async def _registered(bot_app, author_user_id: int, text: str, category: str = "roads",
                      days_ago: int = 0) -> Appeal:
    rules = appeals.AppealRules()
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(
            select(Resident).where(Resident.full_name.is_not(None)).order_by(Resident.id.desc())
        )
        appeal = await appeals.register(session, rules, resident, kind="application",
                                        category=category, text=text,
                                        now=utcnow() - timedelta(days=days_ago))
        await session.commit()
        return appeal


async def test_staff_commands_look_unknown_to_residents(bot_app):
    c = bot_app.resident(320)
    await c.onboard()
    for command in ("/appeals", "/appeals_export 01.01.2026 31.12.2026", "/stats"):
        replies = await c.send(command)
        assert "Невідома команда" in replies[-1].text


async def test_staff_queue_card_assign_progress_simple_and_extend(bot_app):
    author = bot_app.resident(321)
    await author.onboard()
    old = await _registered(bot_app, 321, "Зламана лавка у сквері", "other", days_ago=5)
    road = await _registered(bot_app, 321, "Яма на вулиці Миру біля будинку 3")
    staff = bot_app.resident(921, first_name="Мод")
    await bot_app.make_staff(921, Role.MODERATOR)
    await staff.send("/appeals")
    assert "Відкрито 2 звернення" in staff.last.text
    labels = [b["text"] for b in staff.last.buttons]
    assert any("Головне меню" in label for label in labels)  # the queue is no dead end
    assert labels[0].startswith("📌 Інше") and "5 днів" in labels[0]  # the oldest first
    await staff.press("Усі відкриті")
    assert [b["text"].split(" · ")[0] for b in staff.last.buttons[:2]] == [old.number,
                                                                           road.number]
    await staff.press(road.number)
    assert "Яма на вулиці Миру" in staff.last.text and "Коваленко Олена" in staff.last.text
    await staff.press("Взяти собі")
    assert "telegram:921" in staff.last.text
    await staff.press("Взяти в роботу")
    assert "у роботі" in staff.last.text
    await staff.press("Позначити простим")
    simple_deadline = format_date(appeals.deadline_for(road.registered_at, 15))
    assert f"Строк тепер: {simple_deadline}" in staff.last.text
    await staff.press("Продовжити строк")
    latest = appeals.latest_deadline(road, appeals.AppealRules())
    replies = await staff.send(format_date(latest + timedelta(days=1)))
    assert "не може перевищувати 45 днів" in replies[-1].text
    replies = await staff.send("колись")
    assert "Не вдалося прочитати дату" in replies[-1].text
    await staff.press(format_date(latest))  # edits the prompt in place
    assert any("Тепер напишіть причину" in t for t in staff.texts())
    await staff.send("Потрібне обстеження дорожнього покриття")
    assert f"Строк продовжено до {format_date(latest)}" in staff.last.text
    assert "Продовжити строк" not in [b["text"] for b in staff.last.buttons]
    await bot_app.deliver()
    told = author.texts()
    assert any("взято в роботу" in t for t in told)
    assert any("Потрібне обстеження дорожнього покриття" in t and format_date(latest) in t
               for t in told)


async def test_staff_return_merge_and_close(bot_app):
    author = bot_app.resident(322)
    await author.onboard()
    target = await _registered(bot_app, 322, "Не вивозять сміття з двору")
    duplicate = await _registered(bot_app, 322, "Сміття з двору не вивозять тиждень")
    vague = await _registered(bot_app, 322, "Зробіть щось нарешті")
    # Past day 10 even if that day and the next few were days off (the term moves past them).
    late = await _registered(bot_app, 322, "Старе звернення без суті", days_ago=15)
    staff = bot_app.resident(922, first_name="Мод")
    await bot_app.make_staff(922, Role.MODERATOR)

    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(late.number)
    await staff.press("Повернути автору")
    assert staff.last_callback_answers and "10 днів" in staff.last_callback_answers[-1]["text"]

    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(vague.number)
    await staff.press("Повернути автору")
    await staff.send("Не зазначено суть питання (ст. 5)")
    assert "повернуто автору" in staff.last.text

    await staff.press("Назад")
    await staff.press(duplicate.number)
    await staff.press("Об'єднати")
    replies = await staff.send(duplicate.number)
    assert "саме з собою" in replies[-1].text
    replies = await staff.send("З-1999-000001")
    assert "не знайдено" in replies[-1].text
    await staff.send(target.number)
    assert f"Об'єднано зі зверненням {target.number}" in staff.last.text

    await bot_app.deliver()
    told = author.texts()
    assert any("Не зазначено суть питання (ст. 5)" in t for t in told)
    assert any(duplicate.number in t and target.number in t for t in told)
    async with bot_app.sessionmaker() as session:
        stored = await session.get(Appeal, duplicate.id)
        assert stored is not None and stored.merged_into_id == target.id
        assert (await session.get(Appeal, vague.id)).status == "returned"  # type: ignore[union-attr]


async def test_staff_answer_validation_and_close_after_answer(bot_app):
    author = bot_app.resident(323)
    await author.onboard()
    appeal = await _registered(bot_app, 323, "Прохання встановити лавку біля зупинки")
    staff = bot_app.resident(923, first_name="Мод")
    await bot_app.make_staff(923, Role.MODERATOR)
    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(appeal.number)
    await staff.press("Відповісти")
    replies = await staff.send("Ок")
    assert "закороткий" in replies[-1].text
    await staff.send("Лавку буде встановлено до кінця місяця.")
    replies = await staff.document("malware.exe", "application/x-msdownload")
    assert "не підтримується" in replies[-1].text
    await staff.press("Надіслати без файлу")
    assert "Відповідь надіслано автору" in staff.last.text
    await staff.press("Закрити")
    assert "закрито" in staff.last.text
    await bot_app.deliver()
    assert any("Лавку буде встановлено до кінця місяця." in t for t in author.texts())


async def test_export_csv_and_stats(bot_app):
    author = bot_app.resident(324)
    await author.onboard()
    first = await _registered(bot_app, 324, "Розбите вікно у під'їзді", "utilities")
    await _registered(bot_app, 324, "Не горить ліхтар біля школи", "safety")
    async with bot_app.sessionmaker() as session:
        await appeals.answer(session, appeals.AppealRules(), "telegram:924", first.id,
                             "Вікно замінено майстрами ЖЕКу.")
        await session.commit()
    staff = bot_app.resident(924, first_name="Мод")
    await bot_app.make_staff(924, Role.MODERATOR)
    replies = await staff.send("/appeals_export вчора")
    assert "Використання" in replies[-1].text
    today = local_today()
    await staff.send(f"/appeals_export {format_date(today - timedelta(days=1))} "
                     f"{today.isoformat()}")
    document = staff.last
    assert document.method == "sendDocument" and "2 рядків" in (document.text or "")
    async with bot_app.sessionmaker() as session:
        from services.models import AuditEntry

        actions = list(await session.scalars(select(AuditEntry.action)))
        assert "appeals.export" in actions
    await staff.send("/stats")
    text = staff.last.text
    assert "Усього: 2" in text and "Відповіли вчасно: 100%" in text
    assert "Медіана днів до відповіді: 0" in text


async def test_english_dialog_and_a_new_point_instead_of_the_far_one(bot_app):
    c = bot_app.resident(325, language_code="en")
    await c.onboard(language="en", name="Kovalenko Olena")
    await c.send("/menu")
    await c.press("Appeals")
    await c.press("New appeal")
    assert "Step 1 of 7" in c.last.text
    await c.press("Proposal")
    await c.press("Ecology")
    await c.send("Plant trees along the river embankment, please")
    await c.press("No files")
    await c.location(*FAR_AWAY)
    assert "outside the city" in c.last.text
    await c.location(*IN_CITY)  # sends a better point instead of confirming
    assert "Step 6 of 7" in c.last.text
    await c.press("Only me")
    assert "Step 7 of 7" in c.last.text and "48.86000" in c.last.text
    await c.press("Submit the appeal")
    assert "The appeal is registered" in c.last.text


async def test_daily_digest_reaches_moderators(bot_app):
    author = bot_app.resident(326)
    await author.onboard()
    overdue = await _registered(bot_app, 326, "Прострочене звернення щодо освітлення",
                                days_ago=31)
    await bot_app.make_staff(926, Role.MODERATOR)
    async with bot_app.sessionmaker() as session:
        assert await appeals.send_digest(session) == 1
        await session.commit()
    await bot_app.deliver()
    digest = [s.text or "" for s in bot_app.fake.to_chat(926)]
    assert len(digest) == 1 and overdue.number in digest[0] and "Прострочено: 1" in digest[0]


SECRET_TEXT = ("Велика яма на дорозі по вулиці Шевченка біля школи, телефонуйте "
               "+380671234567 або ivan@example.com")


async def _file_with_place(c: ResidentClient, text: str, place: str, public: bool) -> None:
    await _open_new(c)
    await c.press("Скарга")
    await c.press("Дороги")
    await c.send(text)
    await c.press("Без файлів")
    await c.send(place)
    await c.press("Зробити звернення публічним" if public else "Лише мені")
    assert ("публічне" if public else "лише ви й працівники ради") in c.last.text
    await c.press("Подати звернення")


async def _answer_through_staff(bot_app, staff_id: int, number: str, answer: str) -> None:
    staff = bot_app.resident(staff_id, first_name="Мод")
    await bot_app.make_staff(staff_id, Role.MODERATOR)
    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(number)
    await staff.press("Продовжити строк")
    await staff.send(format_date(timeutil.local_today() + timedelta(days=40)))
    await staff.send("Потрібен огляд біля будинку автора на Шевченка, 12")
    await staff.press("Відповісти")
    await staff.send(answer)
    await staff.document("act.pdf", "application/pdf", file_id="answer-act")
    await bot_app.deliver()


async def test_a_private_appeal_shows_others_only_category_street_date_and_progress(bot_app):
    author = bot_app.resident(330)
    await author.onboard()
    await _file_with_place(author, SECRET_TEXT, "вул. Шевченка, 12, кв. 7", public=False)
    number = f"З-{utcnow().year}-000001"
    supporter = bot_app.resident(331)
    await supporter.onboard(street="вул. Миру", building="3")
    await _file_to_confirm(supporter, "Яма на дорозі вулиці Шевченка, небезпечно")
    suggestion = supporter.last.text
    assert "Схожі звернення" in suggestion and number in suggestion
    assert "Дороги" in suggestion and "вул. Шевченка" in suggestion
    assert format_date(utcnow()) in suggestion
    for secret in ("Велика яма", "Шевченка, 12", "кв. 7", "1234567", "ivan@example.com",
                   "Коваленко"):
        assert secret not in suggestion, secret
    await supporter.press(f"Підтримати {number}")
    await _answer_through_staff(bot_app, 930, number, "Яму на Шевченка, 12 залатано 5 грудня.")

    told = "\n".join(supporter.texts())
    assert f"{number}, яке ви підтримуєте: строк продовжено" in told
    assert f"{number}, яке ви підтримуєте: надано відповідь" in told
    assert "залатано" not in told and "огляд біля будинку" not in told
    assert not [s for s in supporter.sent if s.method == "sendDocument"]
    await supporter.send("/menu")
    await supporter.press("Звернення")
    await supporter.press("Мої звернення")
    await supporter.press(number)
    card = supporter.last.text
    assert "надано відповідь" in card and "строк продовжено" in card
    assert "вул. Шевченка" in card and "лише автор і працівники ради" in card
    for secret in ("Велика яма", "Шевченка, 12", "кв. 7", "залатано", "огляд біля будинку",
                   "1234567"):
        assert secret not in card, secret
    # The author still sees every word, the answer and the reasons.
    assert any("Яму на Шевченка, 12 залатано" in t for t in author.texts())
    assert any(s.method == "sendDocument" for s in author.sent)
    await author.send("/menu")
    await author.press("Звернення")
    await author.press("Мої звернення")
    await author.press(number)
    own = author.last.text
    assert "+380671234567" in own and "вул. Шевченка, 12, кв. 7" in own
    assert "залатано 5 грудня" in own and "огляд біля будинку" in own


async def test_a_public_appeal_shows_its_text_and_answer_without_contacts(bot_app):
    author = bot_app.resident(332)
    await author.onboard()
    await _file_with_place(author, SECRET_TEXT, "вул. Шевченка, 12", public=True)
    number = f"З-{utcnow().year}-000001"
    async with bot_app.sessionmaker() as session:
        assert (await session.scalar(select(Appeal.is_public))) is True
    supporter = bot_app.resident(333)
    await supporter.onboard(street="вул. Миру", building="3")
    await _file_to_confirm(supporter, "Яма на дорозі вулиці Шевченка, небезпечно")
    suggestion = supporter.last.text
    assert "Велика яма на дорозі" in suggestion and "Шевченка, 12" not in suggestion
    assert "1234567" not in suggestion and "ivan@example.com" not in suggestion
    await supporter.press(f"Підтримати {number}")
    await _answer_through_staff(bot_app, 931, number, "Яму залатано, дзвоніть 0501112233.")
    told = "\n".join(supporter.texts())
    assert "Яму залатано" in told and "0501112233" not in told
    assert "огляд біля будинку автора" in told  # reasons too, as the author chose
    assert [s for s in supporter.sent if s.method == "sendDocument"]
    await supporter.send("/menu")
    await supporter.press("Звернення")
    await supporter.press("Мої звернення")
    await supporter.press(number)
    card = supporter.last.text
    assert "Велика яма на дорозі" in card and "Яму залатано" in card
    assert "1234567" not in card and "ivan@example.com" not in card
    assert "0501112233" not in card and "лише автор" not in card


async def test_support_needs_the_duplicate_offer(bot_app):
    """A forged "support" button never makes anyone a supporter nor opens the card."""
    author = bot_app.resident(334)
    await author.onboard()
    await _file_to_confirm(author, SECRET_TEXT)
    await author.press("Подати звернення")
    async with bot_app.sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None
    intruder = bot_app.resident(335)
    await intruder.onboard(street="вул. Миру", building="3")
    support = SupportCB(appeal_id=appeal.id).pack()
    card = MyCardCB(appeal_id=appeal.id).pack()

    async def refused(data: str) -> None:
        shown_before = [(s.text, s.reply_markup) for s in intruder.fake.to_chat(335)]
        await intruder.callback(data)
        assert [a.get("text") for a in intruder.last_callback_answers] == [
            "Звернення не знайдено."]
        assert [(s.text, s.reply_markup) for s in intruder.fake.to_chat(335)] == shown_before

    await refused(support)  # no draft at all
    await _file_to_confirm(intruder, "Прибрати сміття у дворі на вулиці Миру")
    assert "Схожі звернення" not in intruder.last.text  # nothing was offered
    await refused(support)
    await refused(card)
    assert await _count(bot_app, AppealSupporter) == 0
    async with bot_app.sessionmaker() as session:
        draft = await session.scalar(select(AppealDraft))
        assert draft is not None and draft.step == "confirm"  # the dialog is untouched
