"""Council votes on Viber through the real dispatcher: sessions, a decision card and its roll
call, a deputy's card, following and unfollowing, a long roll call paged within Viber's 24
buttons, and staff publishing on Viber with the followers' notice delivered on Viber."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from services.models import Role
from services.votes import follow, publishing
from services.votes.models import Deputy, VoteSession
from tests.viber_residents import onboarded
from tests.votes_bot_support import V2, evoting_file, import_council, seat_names
from tests.votes_support import OWN, SHELL, run_import, upload

if TYPE_CHECKING:
    from tests.fakes.viber_api import ViberClientSim
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)

MAX_BUTTONS = 24


def _deputy_labels(sim: ViberClientSim) -> list[str]:
    return [str(b["Text"]) for b in sim.shown_keyboard()
            if str(b["ActionBody"]).startswith("cb:vp:")]


async def test_sessions_a_decision_its_roll_call_and_a_deputy_on_viber(viber: ViberApp):
    await import_council(viber.telegram)
    olena = await onboarded(viber)
    await olena.send("/menu")
    await olena.press("Голосування ради")
    assert "Голосування ради" in olena.last.text
    await olena.press("Засідання")
    assert "Опубліковані засідання" in olena.last.text
    await olena.press("04.09.2024")
    assert "Голосувань: 4" in olena.last.text
    await olena.press(V2[:25])
    card = olena.last.text
    assert f"*{V2}*" in card and "<b>" not in card  # Viber's markers, not HTML
    assert "За 3 · Проти 3 · Утримався 0 · Не голосував 0 · Відсутній 0" in card
    source = olena.button("Текст рішення")
    assert source["ActionType"] == "open-url"
    assert source["ActionBody"] == "https://rada.example.ua/docs/757-2.html"

    await olena.press("Як голосував кожен депутат")
    assert "*За*: 3" in olena.last.text
    await olena.press("👎 3")
    assert "*Проти*: 3" in olena.last.text and "Коваленко Олена Петрівна" in olena.last.text
    await olena.press("Коваленко О")
    deputy = olena.last.text
    assert "Коваленко Олена Петрівна" in deputy and "Присутність" in deputy
    await olena.press("Усі голосування")
    assert "голосувань: 4" in olena.last.text
    await olena.press("Назад")
    assert "Присутність" in olena.last.text


async def test_a_long_roll_call_pages_within_vibers_24_buttons(viber: ViberApp):
    names = seat_names(45)
    votes = [(n, "За") for n in names[:43]] + [(names[43], "Проти"), (". ....", "За"),
                                               (names[44], ".........")]
    async with viber.telegram.sessionmaker() as session:
        assert (await run_import(session, [evoting_file("241105_1.json", "Про тарифи", votes)],
                                 add_unknown_deputies=True)).ok
        session_id = await session.scalar(select(VoteSession.id))
        await publishing.publish_session(session, SHELL, session_id)
        await session.commit()
    olena = await onboarded(viber)
    await olena.send("/votes")
    await olena.press("Засідання")
    await olena.press("05.11.2024")
    await olena.press("Про тарифи")
    await olena.press("Як голосував кожен депутат")
    assert "*За*: 44" in olena.last.text
    seen: list[str] = []
    for _ in range(10):
        assert len(olena.shown_keyboard()) <= MAX_BUTTONS
        assert olena.button("Назад") and olena.button("⚪ 1")
        seen += _deputy_labels(olena)
        if not any("Далі" in label for label in olena.labels()):
            break
        await olena.press("Далі")
    # Every one of the 43 named deputies who voted for is on some page, once.
    assert len(seen) == len(set(seen)) == 43
    await olena.press("⚪ 1")
    assert "*Відсутній*: 1" in olena.last.text


async def test_follow_unfollow_and_the_notice_of_a_session_published_on_viber(
        viber: ViberApp):
    data = await import_council(viber.telegram, publish=False)
    olena = await onboarded(viber)
    await olena.send("/votes")
    await olena.press("Депутати")
    await olena.press("Фракція «Світанок»")
    await olena.press("Іваненко")
    await olena.press("Стежити за депутатом")
    assert any("Ви стежите" in t for t in olena.texts()[-2:])
    assert olena.button("Не стежити")
    resident = await viber.resident_of(olena.id)
    assert resident is not None
    async with viber.telegram.sessionmaker() as session:
        assert await follow.is_following(session, resident.id, data["deputies"]["D2"])

    # A staff member publishes the session from Viber.
    clerk = await onboarded(viber, "CCCCCCCCCCCCCCCCCCCCCC==", "Петренко Іван Іванович")
    await viber.make_staff(clerk.id, Role.MODERATOR)
    await clerk.send("/votes")
    await clerk.press("Імпорт і публікація")
    await clerk.press("Засідання")
    await clerk.press("🕓")
    await clerk.press("Опублікувати")
    await clerk.press("Так, опублікувати")
    assert "опубліковано" in clerk.last.text, clerk.texts()[-2:]
    assert "тим, хто стежить за депутатами, — 1" in clerk.last.text
    async with viber.telegram.sessionmaker() as session:
        published = await session.scalar(select(VoteSession.status))
    assert published == "published"

    before = len(olena.sent)
    assert await viber.deliver() == 1
    [note] = olena.sent[before:]
    assert "Як голосували депутати, за якими ви стежите" in note.text
    assert "*Іваненко Петро Миколайович*" in note.text
    await olena.press("Відкрити в боті")
    assert "Голосувань: 4" in olena.last.text

    await olena.send("/votes")
    await olena.press("Мої депутати (1)")
    await olena.press("Іваненко")
    await olena.press("Не стежити")
    assert olena.button("Стежити за депутатом")
    async with viber.telegram.sessionmaker() as session:
        assert not await follow.is_following(session, resident.id, data["deputies"]["D2"])
        assert await session.scalar(select(Deputy.id).where(
            Deputy.id == data["deputies"]["D2"])) is not None


async def test_staff_upload_a_vote_file_on_viber_preview_and_import(viber: ViberApp):
    """A file sent on Viber is kept in the media store; the import reads it from there."""
    clerk = await onboarded(viber, "DDDDDDDDDDDDDDDDDDDDDD==", "Петренко Іван Іванович")
    await viber.make_staff(clerk.id, Role.MODERATOR)
    await clerk.send("/votes")
    await clerk.press("Імпорт і публікація")
    await clerk.press("Завантажити файл")
    assert "Надішліть файл голосувань документом" in clerk.last.text
    deputies = upload(OWN / "council" / "deputies.csv")
    await clerk.file(deputies.name, deputies.data)
    assert "Попередній перегляд" in clerk.last.text, clerk.texts()[-2:]
    assert "нових депутатів: 6" in clerk.last.text
    await clerk.press("Імпортувати")
    assert "Імпорт завершено" in clerk.last.text
    async with viber.telegram.sessionmaker() as session:
        assert len((await session.scalars(select(Deputy.id))).all()) == 6
