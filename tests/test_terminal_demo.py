"""`python -m bot demo-data`: an empty database gets petitions in every state, events, a poll
and a published council session; a database with anything in it is left alone, politely."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.terminal.demo import fill_demo
from bot.config import Settings
from services import residents
from services.events import Event
from services.models import (
    ChannelIdentity,
    OutboxMessage,
    Petition,
    Resident,
    ScheduledTask,
    StaffRole,
)
from services.polls.models import Poll
from services.votes.models import VoteCast, VoteEvent, VoteSession

THRESHOLD = 10


def _settings(database_url: str, **values: object) -> Settings:
    fields: dict[str, object] = {"default_language": "en", **values}
    return Settings(bot_token=None, database_url=database_url, petition_threshold=THRESHOLD,
                    **fields)  # type: ignore[arg-type]


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_an_empty_database_gets_sample_content(database_url: str, sessionmaker, capsys):
    assert await fill_demo(_settings(database_url)) == 0
    said = capsys.readouterr().out
    assert said.startswith("Demo data added: 7 petitions") and "python -m bot chat" in said

    async with sessionmaker() as session:
        rows = (await session.execute(select(Petition.status, Petition.signature_count,
                                             Petition.threshold, Petition.number)
                                      .order_by(Petition.id))).all()
        assert [(status, count) for status, count, _t, _n in rows] == [
            ("collecting", THRESHOLD - 1),  # one short: the chat's signature reaches it
            ("collecting", THRESHOLD - 2),  # 37 wanted, kept under a small threshold
            ("collecting", 3),
            ("awaiting_answer", THRESHOLD),
            ("answered", THRESHOLD),
            ("moderation", 0),
            ("rejected", 0),
        ]
        assert {t for _s, _c, t, n in rows if n is not None} == {THRESHOLD}
        assert [n for _s, _c, _t, n in rows] == [1, 2, 3, 4, 5, None, None]

        events = (await session.scalars(select(Event).order_by(Event.starts_at))).all()
        assert [e.kind for e in events] == ["plenary", "executive", "press_conference"]
        assert await _count(session, ScheduledTask) > 0  # their reminders are planned
        poll = await session.scalar(select(Poll))
        assert poll is not None and poll.status == "published" and poll.multiple
        vote_session = await session.scalar(select(VoteSession))
        assert vote_session is not None and vote_session.status == "published"
        assert await _count(session, VoteEvent) == 4
        assert await _count(session, VoteCast) == 4 * 9

        # Invented people only, with no messenger account; nobody was told anything, and the
        # moderator the poll needed for a moment is gone.
        assert await _count(session, ChannelIdentity) == 0
        assert await _count(session, OutboxMessage) == 0
        assert await _count(session, StaffRole) == 0
        phones = set(await session.scalars(select(Resident.phone)))
        assert all(p is not None and p.startswith("+38000") for p in phones)


async def test_a_database_with_content_is_left_alone(database_url: str, sessionmaker, capsys):
    async with sessionmaker() as session:
        await residents.give_consent(session, channel="terminal", external_id="1",
                                     chat_id="1", language="uk")
        await session.commit()
    assert await fill_demo(_settings(database_url)) == 1
    said = capsys.readouterr().out
    assert "The database is not empty (residents: 1)" in said
    assert "no demo data was added" in said and "DATABASE_URL=" in said
    async with sessionmaker() as session:
        assert await _count(session, Petition) == 0
        assert await _count(session, Resident) == 1


@pytest.mark.parametrize("language", ["uk", "en"])
async def test_a_database_without_tables_is_told_to_migrate(tmp_path: Path, capsys,
                                                            language: str):
    url = f"sqlite+aiosqlite:///{tmp_path / 'nothing.db'}"
    assert await fill_demo(_settings(url, default_language=language)) == 2
    assert "migrate" in capsys.readouterr().out
