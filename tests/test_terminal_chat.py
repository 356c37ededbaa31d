"""`python -m bot chat` as a subprocess, driven through its pipes as a person would type:
onboarding, signing a petition that demo-data made (its threshold notification arrives
through the outbox), filing an appeal with a photo and a place; and `make run`'s fallback."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appeals.models import Appeal, AppealAttachment
from services.models import ChannelIdentity, OutboxMessage, Petition, Resident, Signature
from tests.terminal_support import Terminal, chat_env, run_command

# A small threshold keeps demo-data quick; the flows are the same.
THRESHOLD = "12"
# The smallest PNG there is (1×1).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


async def onboard(chat: Terminal) -> None:
    await chat.expect("Крок 1 з 6")
    await chat.press("Українська", then="Крок 2 з 6")
    await chat.press("Погоджуюся", then="Крок 3 з 6")
    await chat.expect_button("Поділитися номером")
    await chat.send(":phone +380671234567")
    await chat.expect("Номер підтверджено")
    await chat.expect("Крок 4 з 6")
    await chat.send("Коваленко Олена Петрівна")
    await chat.expect("Крок 5 з 6")
    await chat.send("вул. Шевченка")
    await chat.expect("Крок 6 з 6")
    await chat.send("12")  # a number, but no button has it: sent as text
    await chat.expect("Профіль збережено")
    await chat.press("Не зараз", then="Оберіть розділ")


async def test_a_resident_onboards_signs_a_petition_and_files_an_appeal(
        tmp_path: Path, database_url: str, redis_url: str | None,
        sessionmaker: async_sessionmaker[AsyncSession]):
    env = chat_env(database_url, PETITION_THRESHOLD=THRESHOLD, REDIS_URL=redis_url or "",
                   MEDIA_DIR=str(tmp_path / "media"))
    code, out, err = await run_command(tmp_path, env, "demo-data")
    assert code == 0, err
    assert "Демо-дані додано" in out
    photo = tmp_path / "pit.png"
    photo.write_bytes(PNG)

    chat = await Terminal.start(tmp_path, env)
    try:
        await chat.expect("Чат із ботом у терміналі")
        await onboard(chat)

        await chat.press("Петиції", then="Електронні петиції")
        await chat.press("Найбільше підписів", then="Петиції з найбільшою кількістю підписів")
        await chat.press("Освітлення пішохідного переходу", then="Петиція №1")
        await chat.expect(f"11 підписів із {THRESHOLD} потрібних")
        await chat.press("Підписати", then="Ви підписали цю петицію")
        # The 12th signature reached the threshold: the outbox tells the signers, her too.
        await chat.expect("── бот · сповіщення ──")
        await chat.expect(f"набрала {THRESHOLD} підписів")
        # Its button (a deep link into the bot) opens the card again.
        await chat.press("Відкрити петицію", then="Петиція №1")

        await chat.send("/menu")
        await chat.press("Звернення", then="Звернення до міської ради")
        await chat.press("Нове звернення", then="Крок 1 з 7")
        await chat.press("Заява", then="Крок 2 з 7")
        await chat.press("Дороги і тротуари", then="Крок 3 з 7")
        await chat.send("Прошу відремонтувати дорогу на вулиці Шевченка біля будинку 12: "
                        "там глибокі ями, машини обʼїжджають їх тротуаром.")
        await chat.expect("Крок 4 з 7")
        await chat.send(f":photo {photo}")
        await chat.press("Далі", then="Крок 5 з 7")
        await chat.send(":location 50.4501 30.5234")
        await chat.press("Так, саме тут", then="Крок 6 з 7")
        await chat.press("Лише мені й раді", then="Крок 7 з 7")
        await chat.expect("Файлів: 1")
        await chat.press("Подати звернення", then="Звернення зареєстровано")
        await chat.send(":quit")
        await chat.expect("До побачення!")
    finally:
        code, err = await chat.close()
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "<b>" not in chat.output() and "&amp;" not in chat.output()

    async with sessionmaker() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None and (identity.channel, identity.external_id) == ("terminal",
                                                                                     "1")
        resident = await session.get(Resident, identity.resident_id)
        assert resident is not None and resident.is_complete
        assert resident.phone == "+380671234567" and resident.building == "12"
        petition = await session.scalar(select(Petition).where(Petition.number == 1))
        assert petition is not None and petition.signature_count == int(THRESHOLD)
        assert await session.scalar(select(Signature.id).where(
            Signature.petition_id == petition.id, Signature.resident_id == resident.id))
        appeal = await session.scalar(select(Appeal).where(Appeal.author_id == resident.id))
        assert appeal is not None and "глибокі ями" in appeal.text
        assert appeal.latitude is not None and abs(appeal.latitude - 50.4501) < 1e-6
        attached = await session.scalar(select(AppealAttachment.file_id).where(
            AppealAttachment.appeal_id == appeal.id))
        assert attached is not None and attached.startswith("media:")
        notice = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.channel == "terminal"))
        assert notice is not None and notice.status == "sent" and notice.chat_id == "1"
    assert len(list((tmp_path / "media").rglob("pit.png"))) == 1


async def test_staff_is_who_the_flags_of_this_run_say(tmp_path: Path, database_url: str):
    env = chat_env(database_url, PETITION_THRESHOLD=THRESHOLD)
    code, _out, err = await run_command(tmp_path, env, "demo-data")
    assert code == 0, err
    # Demo-data left one petition waiting for moderation.
    code, out, err = await run_command(tmp_path, env, "chat", "--staff", "moderator",
                                       given="/petitions_queue\n")
    assert code == 0, err
    assert "Петиції на модерації: 1" in out and "[1] Пандус до входу" in out
    code, out, err = await run_command(tmp_path, env, "chat", given="/petitions_queue\n")
    assert code == 0, err
    assert "Невідома команда" in out and "Пандус" not in out


async def test_make_run_without_a_token_opens_the_chat(tmp_path: Path, database_url: str):
    """What `make run` runs on a fresh clone: one line on going live, then the chat (here the
    input ends at once, so it says goodbye)."""
    code, out, err = await run_command(tmp_path, chat_env(database_url), "run",
                                       "--chat-without-token")
    assert code == 0, err
    first, *rest = out.splitlines()
    assert first.startswith("No BOT_TOKEN set: opening the bot in this terminal.")
    assert "BOT_TOKEN=" in first and "make run" in first
    assert any("Чат із ботом у терміналі" in line for line in rest)
    assert "Traceback" not in err


async def test_make_run_with_a_malformed_token_still_says_so(tmp_path: Path, database_url: str):
    code, out, err = await run_command(tmp_path, chat_env(database_url, BOT_TOKEN="123:short"),
                                       "run", "--chat-without-token")
    assert code == 2
    assert "does not look like a token" in err and "terminal" not in out


async def test_an_english_speaking_resident_reads_the_terminals_own_lines_in_english(
        tmp_path: Path, database_url: str):
    """The help, the hints beside buttons and the headers follow the person's language: the
    council's until they choose, then theirs (also in the next run, from the profile)."""
    env = chat_env(database_url)
    chat = await Terminal.start(tmp_path, env)
    try:
        await chat.expect("Чат із ботом у терміналі")  # nobody known yet: the council's
        await chat.expect("Крок 1 з 6")
        await chat.press("English", then="Step 2 of 6")
        await chat.press("I agree", then="Step 3 of 6")
        await chat.expect("Share my number (type :phone +380…)")
        await chat.send(":help")
        await chat.expect("A button's number presses it.")
        await chat.expect(":phone +380…        share your own number")
        await chat.send(":phon")
        await chat.expect("Unknown command :phon. Type :help")
        await chat.send(":phone +380671234568")
        await chat.expect("Step 4 of 6")
        await chat.send("Kovalenko Olena")
        await chat.expect("Step 5 of 6")
        await chat.send("Shevchenka St")
        await chat.expect("Step 6 of 6")
        await chat.send("12")
        await chat.expect("Your profile is saved")
        await chat.send(":quit")
        await chat.expect("Goodbye!")
    finally:
        code, err = await chat.close()
    assert code == 0, err
    assert "── bot ──" in chat.output()
    assert "наберіть" not in chat.output() and "Номер кнопки" not in chat.output()

    code, out, err = await run_command(tmp_path, env, "chat", given=":help\n")
    assert code == 0, err
    assert "Chat with the bot in the terminal" in out and "A button's number" in out
    assert "Goodbye!" in out
