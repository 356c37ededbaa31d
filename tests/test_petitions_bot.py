"""E-petition screens through the real dispatcher, talking HTTP to the fake Bot API."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from services import petitions
from services.db import utcnow
from services.models import (
    AuditEntry,
    Channel,
    OutboxMessage,
    Petition,
    PetitionStatus,
    Resident,
    Role,
    Signature,
)
from tests.fakes.telegram_api import BOT_USERNAME

TITLE = "Відремонтувати дорогу на вулиці Миру"
TEXT = "Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру до кінця року."
MOD = 900


async def onboarded(bot_app, user_id: int, name: str = "Коваленко Олена Петрівна"):
    client = bot_app.resident(user_id)
    await client.onboard(name=name)
    return client


async def resident_of(bot_app, user_id: int) -> Resident:
    from services import residents

    async with bot_app.sessionmaker() as session:
        resident = await residents.by_identity(session, "telegram", str(user_id))
        assert resident is not None
        return resident


async def publish(bot_app, author_id: int, title: str = TITLE, *, threshold: int = 250,
                  period_days: int = 30, now=None) -> int:
    """A published petition filed by an onboarded resident (set up through the services)."""
    rules = petitions.PetitionRules(threshold=threshold, period_days=period_days,
                                    max_pending_per_author=100)
    async with bot_app.sessionmaker() as session:
        author = await session.get(Resident, (await resident_of(bot_app, author_id)).id)
        petition = await petitions.create(session, rules, author, title=title, text=TEXT,
                                          now=now)
        await petitions.approve(session, rules, "test", petition.id, now=now)
        await session.commit()
        return petition.id


async def petition_row(bot_app, petition_id: int) -> Petition:
    async with bot_app.sessionmaker() as session:
        row = await session.get(Petition, petition_id)
        assert row is not None
        return row


def share_query(message) -> str:
    """What the share button types into the chosen chat after `@bot `."""
    return message.button("Поділитися")["switch_inline_query"]


# ---- browsing -----------------------------------------------------------------------------


async def test_section_lists_page_and_go_back(bot_app):
    author = await onboarded(bot_app, 11)
    for i in range(7):
        await publish(bot_app, 11, f"{TITLE} {i}")
    await author.send("/menu")
    await author.press("Петиції")
    assert "Електронні петиції" in author.last.text
    assert "250 підписів" in author.last.text
    await author.press("Нові")
    assert "Сторінка 1 з 2" in author.last.text
    assert f"{TITLE} 6" in author.last.text and f"{TITLE} 1" not in author.last.text
    assert len([b for b in author.last.buttons if b["text"].startswith("№")]) == 5
    await author.press("Далі")
    assert "Сторінка 2 з 2" in author.last.text and f"{TITLE} 0" in author.last.text
    await author.press("Назад")
    assert "Сторінка 1 з 2" in author.last.text
    await author.press("До петицій")
    assert "Електронні петиції" in author.last.text
    await author.press("Меню")
    assert "Петиції" in str(author.last.buttons)
    assert all(a.get("callback_query_id") for a in bot_app.fake.callback_answers)


async def test_most_signed_ending_soon_and_considered_lists(bot_app):
    await onboarded(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    a = await publish(bot_app, 11, "Петиція про парк у центрі", period_days=60)
    b = await publish(bot_app, 11, "Петиція про сквер біля школи", period_days=10)
    async with bot_app.sessionmaker() as session:
        await petitions.sign(session, petitions.PetitionRules(), a,
                             await session.get(Resident, (await resident_of(bot_app, 12)).id),
                             channel=Channel.TELEGRAM)
        await session.commit()
    await signer.send("/menu")
    await signer.press("Петиції")
    await signer.press("Найбільше підписів")
    first = next(x for x in signer.last.buttons if x["text"].startswith("№"))
    assert "парк" in first["text"]
    await signer.press("До петицій")
    await signer.press("Скоро завершуються")
    first = next(x for x in signer.last.buttons if x["text"].startswith("№"))
    assert "сквер" in first["text"]
    await signer.press("До петицій")
    await signer.press("Розглянуті")
    assert "Тут поки нічого немає" in signer.last.text
    await signer.press("До петицій")
    await signer.press("Я підписав")
    assert "парк" in signer.last.text and "сквер" not in signer.last.text
    assert b


async def test_search_by_words(bot_app):
    c = await onboarded(bot_app, 11)
    await publish(bot_app, 11, "Освітлення у парку Шевченка")
    await publish(bot_app, 11, "Ремонт дороги на Садовій")
    await c.send("/menu")
    await c.press("Петиції")
    await c.press("Пошук")
    replies = await c.send("а")
    assert "хоча б одне слово" in replies[-1].text
    replies = await c.sticker()
    assert "надішліть текст" in replies[-1].text
    replies = await c.send("ПАРКУ освітлення")
    assert "Освітлення у парку" in replies[-1].text and "Садовій" not in replies[-1].text
    replies = await c.send("місяць")  # search is over: typed text is not a query any more
    assert "Пошук" not in replies[-1].text


async def test_card_shows_progress_days_status_and_public_name_only(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11, threshold=4)
    async with bot_app.sessionmaker() as session:
        await petitions.sign(session, petitions.PetitionRules(), pid,
                             await session.get(Resident, (await resident_of(bot_app, 11)).id),
                             channel=Channel.TELEGRAM)
        await session.commit()
    visitor = bot_app.resident(77)
    await visitor.send(f"/start petition_{pid}")
    card = visitor.last.text
    number = (await petition_row(bot_app, pid)).number
    assert f"Петиція №{number}" in card and TITLE in card
    assert "Автор: Коваленко Олена Петрівна" in card
    assert "+380" not in card and "Шевченка" not in card
    assert "▓▓░░░░░░░░ 25%" in card
    assert "1 підпис із 4" in card
    assert "Залишилося 30 днів" in card
    assert "Триває збір підписів" in card
    assert share_query(visitor.last) == f"петиція {number}"
    assert visitor.last.button("Підписати")


async def test_deep_link_to_missing_or_hidden_petition(bot_app):
    visitor = bot_app.resident(77)
    replies = await visitor.send("/start petition_424242")
    assert "Петицію не знайдено" in replies[-1].text
    await onboarded(bot_app, 11)
    async with bot_app.sessionmaker() as session:
        author = await session.get(Resident, (await resident_of(bot_app, 11)).id)
        draft = await petitions.create(session, petitions.PetitionRules(), author,
                                       title=TITLE, text=TEXT)
        await session.commit()
    replies = await visitor.send(f"/start petition_{draft.id}")
    assert "Петицію не знайдено" in replies[-1].text


async def test_stale_button_for_a_removed_petition(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    c = await onboarded(bot_app, 12, "Петренко Іван")
    await c.send(f"/start petition_{pid}")
    card = copy.deepcopy(c.last)
    async with bot_app.sessionmaker() as session:
        await session.delete(await session.get(Petition, pid))
        await session.commit()
    await c.press("Підписати", card)
    assert "Петицію не знайдено" in c.last_callback_answers[-1]["text"]
    await c.press("До петицій", card)
    assert "Електронні петиції" in c.last.text
    async with bot_app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Signature)) == 0


# ---- signing ------------------------------------------------------------------------------


async def test_sign_twice_and_withdraw_from_the_card(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    await signer.send(f"/start petition_{pid}")
    await signer.press("Підписати")
    assert "Ваш підпис враховано" in signer.last_callback_answers[-1]["text"]
    assert "Ви підписали цю петицію" in signer.last.text
    assert "1 підпис із 250" in signer.last.text
    await signer.press("Відкликати")
    assert "відкликано" in signer.last_callback_answers[-1]["text"]
    assert "0 підписів із 250" in signer.last.text
    await signer.press("Підписати")
    async with bot_app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Signature)) == 1
    assert (await petition_row(bot_app, pid)).signature_count == 1


async def test_stale_sign_press_is_counted_once(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    await signer.send(f"/start petition_{pid}")
    first_card = signer.last
    await signer.send(f"/start petition_{pid}")
    second_card = signer.last
    await signer.press("Підписати", first_card)
    await signer.press("Підписати", second_card)
    assert "вже підписали" in signer.last_callback_answers[-1]["text"]
    assert (await petition_row(bot_app, pid)).signature_count == 1


async def test_unverified_resident_is_onboarded_and_brought_back(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    newcomer = bot_app.resident(55)
    await newcomer.send(f"/start petition_{pid}")
    await newcomer.press("Підписати")
    assert any("Крок 2 з 6" in t for t in newcomer.texts())
    await newcomer.press("Погоджуюся")
    await newcomer.contact("+380501230055")
    await newcomer.send("Бондар Марія")
    await newcomer.send("вул. Садова")
    await newcomer.send("3")
    assert TITLE in newcomer.last.text and newcomer.last.button("Підписати")
    await newcomer.press("Підписати")
    assert "Ви підписали цю петицію" in newcomer.last.text
    assert (await petition_row(bot_app, pid)).signature_count == 1


async def test_closed_petition_has_no_sign_button_and_stale_press_is_explained(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    await signer.send(f"/start petition_{pid}")
    open_card = signer.last
    async with bot_app.sessionmaker() as session:
        row = await session.get(Petition, pid)
        row.deadline = utcnow() - timedelta(minutes=1)
        await session.commit()
        await petitions.close_expired(session)
        await session.commit()
    await signer.press("Підписати", open_card)
    assert "закрито" in signer.last_callback_answers[-1]["text"]
    assert "Не набрала потрібної кількості підписів" in signer.last.text
    assert not any("Підписати" in b["text"] for b in signer.last.buttons)
    assert (await petition_row(bot_app, pid)).signature_count == 0


# ---- filing -------------------------------------------------------------------------------


async def test_create_dialog_with_bad_input_preview_and_submit(bot_app):
    await bot_app.make_staff(MOD, Role.MODERATOR)
    c = await onboarded(bot_app, 11)
    await c.send("/menu")
    await c.press("Петиції")
    await c.press("Створити петицію")
    assert "Крок 1 з 3" in c.last.text
    replies = await c.send("Коротко")
    assert "закоротка" in replies[-1].text and "Крок 1 з 3" in replies[-1].text
    replies = await c.send("Д" * 250)
    assert "задовга: 250 символів" in replies[-1].text
    replies = await c.sticker()
    assert "надішліть текст" in replies[-1].text
    replies = await c.send("<b>Ремонт</b> дороги на *Миру*")
    assert "Крок 2 з 3" in replies[-1].text
    replies = await c.send("мало")
    assert "закороткий" in replies[-1].text
    replies = await c.send(TEXT)
    preview = replies[-1]
    assert "Крок 3 з 3" in preview.text
    assert "&lt;b&gt;Ремонт&lt;/b&gt; дороги на *Миру*" in preview.text
    replies = await c.send("ще текст")
    assert "кнопками" in replies[0].text
    await c.press("Подати")
    assert "подано" in c.last.text
    async with bot_app.sessionmaker() as session:
        row = await session.scalar(select(Petition))
        assert row is not None and row.title == "<b>Ремонт</b> дороги на *Миру*"
        assert row.status == PetitionStatus.MODERATION
        staff = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == "900"))
        assert staff == 1
    await c.press("Мої петиції")
    assert "На модерації" in c.last.text


async def test_create_with_categories_cancel_and_pending_limit(bot_app_factory):
    app = await bot_app_factory(petition_categories=["Дороги", "Парки"],
                                petition_max_pending_per_author=1)
    c = await onboarded(app, 11)
    await c.send("/menu")
    await c.press("Петиції")
    await c.press("Створити петицію")
    await c.press("Скасувати")
    assert "скасовано" in c.last.text
    await c.press("Створити петицію")
    assert "Крок 1 з 4" in c.last.text
    await c.send(TITLE)
    replies = await c.send(TEXT)
    assert "Крок 3 з 4" in replies[-1].text
    replies = await c.send("Космос")
    assert "Такої категорії немає" in replies[0].text
    await c.press("Парки")
    assert "Крок 4 з 4" in c.last.text and "Категорія: Парки" in c.last.text
    preview = copy.deepcopy(c.last)  # as the person still sees it in an older screen
    await c.press("Подати")
    await c.press("До петицій")
    await c.press("Створити петицію")
    assert "ліміту петицій" in c.last_callback_answers[-1]["text"]
    # A preview button pressed after the dialog ended is explained, not acted on.
    await c.press("Подати", preview)
    assert "діалог уже завершено" in c.last_callback_answers[-1]["text"]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Petition)) == 1


# ---- moderators ---------------------------------------------------------------------------


async def test_staff_commands_are_unknown_to_residents(bot_app):
    c = await onboarded(bot_app, 11)
    queue = await c.send("/petitions_queue")
    unknown = await c.send("/no_such_command")
    assert queue[-1].text == unknown[-1].text
    export = await c.send("/petition_export 1")
    assert export[-1].text == unknown[-1].text


async def test_queue_approve_and_reject_with_reason(bot_app):
    await bot_app.make_staff(MOD, Role.MODERATOR)
    mod = bot_app.resident(MOD, "Модератор")
    await onboarded(bot_app, 11)
    await onboarded(bot_app, 12, "Петренко Іван")
    rules = petitions.PetitionRules()
    async with bot_app.sessionmaker() as session:
        a1 = await session.get(Resident, (await resident_of(bot_app, 11)).id)
        a2 = await session.get(Resident, (await resident_of(bot_app, 12)).id)
        old = await petitions.create(session, rules, a1, title="Стара петиція про парк",
                                     text=TEXT, now=utcnow() - timedelta(days=6))
        new = await petitions.create(session, rules, a2, title="Нова петиція про сквер",
                                     text=TEXT)
        await session.commit()
    await mod.send("/petitions_queue")
    queue = mod.last.text
    assert "Петиції на модерації: 2" in queue
    assert queue.index("Стара петиція") < queue.index("Нова петиція")
    assert "чекає 6 днів" in queue and queue.count("Строк модерації минув") == 1
    await mod.press("Стара петиція")
    await mod.press("Опублікувати")
    assert "Опубліковано як петицію №1" in mod.last_callback_answers[-1]["text"]
    assert "Триває збір підписів" in mod.last.text
    await mod.press("Черга модерації")
    await mod.press("Нова петиція")
    await mod.press("Відхилити")
    await mod.press("Дублює")
    replies = await mod.send("Див. петицію №1 <i>про парк</i>")
    assert "відхилено" in replies[0].text
    assert (await petition_row(bot_app, new.id)).status == PetitionStatus.REJECTED
    assert (await petition_row(bot_app, old.id)).status == PetitionStatus.COLLECTING
    await bot_app.deliver()
    author2 = bot_app.resident(12)
    rejected = [t for t in author2.texts() if "відхилено" in t]
    assert len(rejected) == 1 and "дублює іншу петицію" in rejected[0]
    # The moderator's markup is shown literally, never interpreted.
    assert "&lt;i&gt;про парк&lt;/i&gt;" in rejected[0]
    author1 = bot_app.resident(11)
    assert any("опубліковано" in t for t in author1.texts())


async def test_reject_offensive_without_comment_hides_it(bot_app):
    await bot_app.make_staff(MOD, Role.MODERATOR)
    mod = bot_app.resident(MOD, "Модератор")
    await onboarded(bot_app, 11)
    async with bot_app.sessionmaker() as session:
        author = await session.get(Resident, (await resident_of(bot_app, 11)).id)
        p = await petitions.create(session, petitions.PetitionRules(), author, title=TITLE,
                                   text=TEXT)
        await session.commit()
    await mod.send(f"/petition_manage {p.id}")
    await mod.press("Відхилити")
    await mod.press("Образливий")
    await mod.press("Без коментаря")
    assert (await petition_row(bot_app, p.id)).status == PetitionStatus.HIDDEN
    visitor = bot_app.resident(77)
    replies = await visitor.send(f"/start petition_{p.id}")
    assert "не знайдено" in replies[-1].text


async def test_edit_typo_consider_answer_and_export(bot_app):
    await bot_app.make_staff(MOD, Role.MODERATOR)
    mod = bot_app.resident(MOD, "Модератор")
    await onboarded(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    pid = await publish(bot_app, 11, "Відремонтувати дорогу на вулиці Мииру", threshold=2)
    await mod.send(f"/petition_manage {pid}")
    await mod.press("Виправити назву")
    replies = await mod.send("Ко")
    assert "закоротка" in replies[-1].text
    await mod.send(TITLE)
    assert TITLE in mod.last.text
    async with bot_app.sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "petition.edit"))
        assert entry is not None and entry.actor == f"telegram:{MOD}"
        assert entry.details["title"]["old"].endswith("Мииру")
    await signer.send(f"/start petition_{pid}")
    await signer.press("Підписати")
    author = bot_app.resident(11)
    await author.send(f"/start petition_{pid}")
    await author.press("Підписати")
    await mod.send(f"/petition_manage {pid}")
    await mod.press("Взяти на розгляд")
    assert "На розгляді" in mod.last.text
    await mod.press("Опублікувати відповідь")
    await mod.press("частково")
    replies = await mod.send("   ")
    assert "не може бути порожнім" in replies[-1].text
    await mod.send("Ремонт заплановано на травень.")
    assert "Розглянуто, є відповідь" in mod.last.text
    await bot_app.deliver()
    for client in (signer, author):
        answers = [t for t in client.texts() if "Ремонт заплановано на травень" in t]
        assert len(answers) == 1
    await signer.send(f"/start petition_{pid}")
    assert "Відповідь міської ради" in signer.last.text
    assert "Підтримано частково" in signer.last.text
    # CSV export, by command and by button, both audited.
    replies = await mod.send(f"/petition_export {pid}")
    document = replies[-1]
    assert document.method == "sendDocument"
    files = [v for v in document.params.values() if isinstance(v, dict) and "filename" in v]
    assert files and files[0]["filename"] == "petition_1_signatures.csv"
    assert files[0]["size"] > 50 and "2 підписи" in document.text
    await mod.send(f"/petition_manage {pid}")
    replies = await mod.press("Підписи (CSV)")
    assert replies[-1].method == "sendDocument"
    replies = await mod.send("/petition_export abc")
    assert "Вкажіть номер" in replies[-1].text
    async with bot_app.sessionmaker() as session:
        exports = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "petition.export"))
        assert exports == 2


async def test_export_csv_content(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    async with bot_app.sessionmaker() as session:
        author = await session.get(Resident, (await resident_of(bot_app, 11)).id)
        await petitions.sign(session, petitions.PetitionRules(), pid, author,
                             channel=Channel.TELEGRAM)
        data = await petitions.export_signatures(session, "t", pid, ("ПІБ", "Адреса", "Дата"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][:2] == ["Коваленко Олена Петрівна", "вул. Шевченка, 12"]


# ---- end to end ---------------------------------------------------------------------------


async def test_end_to_end_threshold_message_once_for_everyone(bot_app_factory):
    app = await bot_app_factory(petition_threshold=3)
    await app.make_staff(MOD, Role.MODERATOR)
    mod = app.resident(MOD, "Модератор")
    author = await onboarded(app, 11)
    await author.send("/menu")
    await author.press("Петиції")
    await author.press("Створити петицію")
    await author.send(TITLE)
    await author.send(TEXT)
    await author.press("Подати")
    await mod.send("/petitions_queue")
    await mod.press(TITLE[:20])
    await mod.press("Опублікувати")
    async with app.sessionmaker() as session:
        pid = (await session.scalar(select(Petition.id)))
    signers = [await onboarded(app, 20 + i, f"Підписант Номер{'аб'[i % 2]}") for i in range(4)]
    for s in signers:
        await s.send(f"/start petition_{pid}")
        card = copy.deepcopy(s.last)
        await s.press("Підписати")
        await s.press("Підписати", card)  # a second press on the same (stale) button
    await app.deliver()
    await app.deliver()
    row = await petition_row(app, pid)
    assert row.signature_count == 4 and row.status == PetitionStatus.AWAITING_ANSWER

    def threshold_messages(client) -> list[str]:
        return [t for t in client.texts() if "набрала" in t and TITLE in t]

    assert len(threshold_messages(author)) == 1
    assert len(threshold_messages(mod)) == 1
    for s in signers[:3]:
        assert len(threshold_messages(s)) == 1
    assert threshold_messages(signers[3]) == []  # signed after the threshold was reached
    assert "3 підписи" in threshold_messages(author)[0]
    note = next(m for m in author.sent if "набрала" in (m.text or ""))
    assert note.button("Відкрити петицію")["url"] == (
        f"https://t.me/{BOT_USERNAME}?start=petition_{pid}")
