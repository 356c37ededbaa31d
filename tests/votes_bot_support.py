"""Shared by the votes dispatcher tests: the council sample published, residents and staff,
vote files sent as documents through the fake Bot API, and a roll call of many seats."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import select

from services import residents, roles
from services.models import Channel, Resident, Role
from services.votes import publishing
from services.votes.archive import UploadedFile
from services.votes.models import Deputy, VoteEvent, VoteSession
from tests.votes_support import SHELL, council_files, run_import

_file_ids = itertools.count(1)

SESSION_TITLE = "Тестова міська рада"
V1 = "Про затвердження порядку денного"
V2 = "Про бюджет громади на 2025 рік"


async def import_council(bot_app, *, publish: bool = True) -> dict[str, Any]:
    """The council sample of tests/samples/votes/council, imported (and published)."""
    return await import_council_into(bot_app.sessionmaker, publish=publish)


async def import_council_into(sessionmaker: Any, *, publish: bool = True) -> dict[str, Any]:
    async with sessionmaker() as session:
        report = await run_import(session, council_files())
        assert report.ok, report
        session_id = await session.scalar(select(VoteSession.id))
        assert session_id is not None
        if publish:
            await publishing.publish_session(session, SHELL, session_id)
            await session.commit()
        deputies = {f"D{int(v) - 100}": i for v, i in await session.execute(
            select(Deputy.voting_id, Deputy.id))}
        events = {f"V{k[-1]}": i for k, i in await session.execute(
            select(VoteEvent.source_key, VoteEvent.id))}
    return {"session": session_id, "deputies": deputies, "events": events}


async def consented(bot_app, user_id: int, *, language: str = "uk",
                    district: str | None = None) -> int:
    """A resident who gave consent (enough to follow deputies and subscribe)."""
    async with bot_app.sessionmaker() as session:
        resident = await residents.give_consent(session, channel="telegram",
                                                external_id=str(user_id), chat_id=str(user_id),
                                                language=language)
        if district is not None:
            row = await session.get(Resident, resident.id)
            assert row is not None
            row.district = district
        await session.commit()
        return resident.id


async def make_staff(bot_app, user_id: int, role: Role = Role.MODERATOR) -> None:
    async with bot_app.sessionmaker() as session:
        await roles.grant(session, "test", Channel.TELEGRAM, str(user_id), role)
        await session.commit()


async def send_file(bot_app, client, name: str, data: bytes, *, size: int | None = None):
    """The client sends a document whose bytes the fake API serves on download."""
    file_id = f"votes-file-{next(_file_ids)}"
    bot_app.fake.files[file_id] = data
    return await client.document(file_name=name, mime_type="application/octet-stream",
                                 file_size=len(data) if size is None else size,
                                 file_id=file_id)


def seat_names(count: int) -> list[str]:
    """Distinct surnames with initials, in the e-voting files' "Прізвище І. Б." form."""
    stems = ["Бондар", "Ткач", "Коваль", "Гончар", "Мельник", "Шевчук", "Кравець", "Лисенко",
             "Савчук", "Руденко"]
    return [f"{stems[i % len(stems)]}{'енко' * (i // len(stems))} А. {chr(0x0410 + i % 20)}."
            for i in range(count)]


def evoting_file(name: str, title: str, votes: list[tuple[str, str]], *,
                 when: str = "05.11.2024 17:41:05", result: str = " РІШЕННЯ ПРИЙНЯТЕ ",
                 counts: tuple[int, int, int, int] | None = None) -> UploadedFile:
    """A Kyiv-style per-vote JSON (GL_Text, DPList, counts) with the given roll call."""
    tally = {"За": 0, "Проти": 0, "Утримався": 0, "Не голосував": 0}
    for _, vote in votes:
        if vote in tally:
            tally[vote] += 1
    yes, no, abstain, not_voting = counts or tuple(tally.values())
    body = {
        "DocTime": when, "OrgName": "ТЕСТОВА МІСЬКА РАДА",
        "SName": "Пленарне засідання  3 сесія  8 скликання", "GLType": "ПОІМЕННЕ ГОЛОСУВАННЯ",
        "GLTime": when, "PD_NPP": "1", "GL_Text": title,
        "DPList": [{"DPName": n, "DPGolos": v} for n, v in votes],
        "YESCnt": yes, "NOCnt": no, "UTRCnt": abstain, "NGCnt": not_voting,
        "TotalCnt": yes + no + abstain + not_voting, "RESULT": result,
    }
    return UploadedFile(name, json.dumps(body, ensure_ascii=False, indent=1).encode())
