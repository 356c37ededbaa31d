"""What a published session tells residents (services/votes/notices.py), on both backends:
the summary to "council votes" subscribers, each follower how their deputies voted, queued
once however often it is called, in each resident's language and within Telegram's limit."""

from __future__ import annotations

from sqlalchemy import select

from services import residents
from services.models import OutboxMessage, Resident, Topic
from services.subscriptions import subscribe
from services.votes import follow, notices, publishing
from services.votes.models import Deputy, VoteSession
from tests.votes_bot_support import evoting_file, seat_names
from tests.votes_support import SHELL, council_files, run_import


async def _resident(session, n: int, language: str = "uk") -> int:
    r = await residents.give_consent(session, channel="telegram", external_id=str(n),
                                     chat_id=str(n), language=language)
    return r.id


async def _outbox(session) -> dict[str, list[str]]:
    rows = await session.execute(select(OutboxMessage.chat_id, OutboxMessage.text)
                                 .order_by(OutboxMessage.id))
    found: dict[str, list[str]] = {}
    for chat, text in rows:
        found.setdefault(chat, []).append(text)
    return found


async def _deputy(session, family_name: str) -> int:
    found = await session.scalar(select(Deputy.id).where(Deputy.family_name == family_name))
    assert found is not None
    return found


async def test_summary_to_subscribers_and_votes_to_followers_once(session):
    assert (await run_import(session, council_files())).ok
    subscriber = await _resident(session, 1)
    english = await _resident(session, 2, "en")
    follower = await _resident(session, 3)
    both = await _resident(session, 4)
    await _resident(session, 5)  # neither subscribed nor following: told nothing
    for rid in (subscriber, english, both):
        await subscribe(session, rid, [Topic.COUNCIL_VOTES])
    await follow.follow(session, follower, await _deputy(session, "Іваненко"))
    await follow.follow(session, both, await _deputy(session, "Іваненко"))
    await follow.follow(session, both, await _deputy(session, "Арʼєв"))
    session_id = await session.scalar(select(VoteSession.id))
    announcement = await publishing.publish_session(session, SHELL, session_id)
    announced = await notices.announce(session, announcement)
    assert announced == notices.Announced(summaries=3, follower_notes=2)
    # Called again (a retry): the dedupe keys queue nothing twice.
    assert await notices.announce(session, announcement) == notices.Announced(0, 0)
    await session.commit()

    sent = await _outbox(session)
    assert set(sent) == {"1", "2", "3", "4"}
    assert len(sent["1"]) == len(sent["2"]) == len(sent["3"]) == 1 and len(sent["4"]) == 2
    summary = sent["1"][0]
    assert "Опубліковано результати голосувань" in summary
    assert "Голосувань: 4, рішень прийнято: 2." in summary
    assert "✅ Про затвердження порядку денного — Прийнято" in summary
    assert "❌ Про бюджет громади на 2025 рік — Не прийнято" in summary
    assert "Vote results published" in sent["2"][0] and "— Adopted" in sent["2"][0]
    note = sent["3"][0]
    assert "Як голосували депутати, за якими ви стежите" in note
    # Іваненко: V1 за, V2 проти, V3 не голосував, V4 за.
    assert "👤 <b>Іваненко Петро Миколайович</b>: За 2 · Проти 1 · Не голосував 1" in note
    assert "⏸ Не голосував — Про надання земельної ділянки ліцею № 5" in note
    two = next(t for t in sent["4"] if "стежите" in t)
    assert "Іваненко Петро Миколайович" in two and "Арʼєв" in two


async def test_a_long_session_fits_one_message_and_says_how_many_more(session):
    names = seat_names(30)
    long_title = "дуже довга назва " * 12
    files = [evoting_file(f"241105_{i}.json", f"Про питання номер {i} {long_title}",
                          [(n, "За") for n in names],
                          when=f"05.11.2024 10:{i // 60:02d}:{i % 60:02d}")
             for i in range(1, 121)]
    assert (await run_import(session, files, add_unknown_deputies=True)).ok
    rid = await _resident(session, 7)
    await subscribe(session, rid, [Topic.COUNCIL_VOTES])
    await follow.follow(session, rid, await session.scalar(select(Deputy.id).limit(1)))
    session_id = await session.scalar(select(VoteSession.id))
    announcement = await publishing.publish_session(session, SHELL, session_id)
    assert len(announcement.decisions) == 120
    await notices.announce(session, announcement)
    await session.commit()
    texts = (await _outbox(session))["7"]
    assert len(texts) == 2
    for text in texts:
        assert len(text) <= 4096
        assert "…і ще" in text


async def test_a_resident_who_turned_notifications_off_is_not_told(session):
    assert (await run_import(session, council_files())).ok
    rid = await _resident(session, 8)
    await subscribe(session, rid, [Topic.COUNCIL_VOTES])
    resident = await session.get(Resident, rid)
    assert resident is not None
    resident.notifications_enabled = False
    await session.flush()
    session_id = await session.scalar(select(VoteSession.id))
    announcement = await publishing.publish_session(session, SHELL, session_id)
    assert await notices.announce(session, announcement) == notices.Announced(0, 0)
