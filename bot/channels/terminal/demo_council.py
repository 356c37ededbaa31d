"""The council's part of the demo: upcoming events, a consultation poll, and a past plenary
session whose roll calls go through the votes importer as an e-voting system's export."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from services import events, roles
from services.districts.rules import DistrictRules
from services.events.rules import EventRules
from services.models import Role
from services.polls.access import Staff
from services.polls.manage import create_draft, publish
from services.polls.rules import PollRules
from services.polls.validation import PollSpec
from services.sections import Sections
from services.timeutil import council_zone, first_working_day, local_today
from services.votes.access import Actor
from services.votes.archive import UploadedFile
from services.votes.importer import ImportOptions, import_files
from services.votes.models import SessionStatus, VoteSession
from services.votes.normalize import vote_code
from services.votes.publishing import publish_session
from services.votes.rules import VotesLimits

T = TypeVar("T")
ACTOR = "cli:demo-data"
# The poll is a moderator's act: the demo is one for that moment only.
DEMO_STAFF = Staff("shell", "demo-data")
_COUNTED = {"for": "YESCnt", "against": "NOCnt", "abstain": "UTRCnt", "not_voting": "NGCnt"}


def _local(day_offset: int, clock: str, now: datetime) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    day = local_today(now) + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=council_zone())


async def add_events(session: AsyncSession, sections: Sections, specs: list[dict[str, Any]],
                     now: datetime) -> int:
    rules = sections.get(EventRules)
    for spec in specs:
        await events.create_event(
            session, actor=ACTOR, kind=events.EventKind(spec["kind"]), title=spec["title"],
            starts_at=_local(spec["days_ahead"], spec["time"], now),
            stream_url=spec.get("stream_url"), place=spec.get("place"), rules=rules, now=now)
    return len(specs)


def _section(sections: Sections, kind: type[T], default: T) -> T:
    """The feature's section; its defaults while the feature declares none (its screens are
    not built yet)."""
    try:
        return sections.get(kind)
    except LookupError:
        return default


async def add_poll(session: AsyncSession, settings: Settings, sections: Sections,
                   spec: dict[str, Any], now: datetime) -> int:
    staff = DEMO_STAFF
    await roles.grant(session, ACTOR, staff.channel, staff.external_id, Role.MODERATOR)
    poll = await create_draft(
        session, _section(sections, PollRules, PollRules()),
        _section(sections, DistrictRules, settings.district_rules()), staff,
        PollSpec(question=spec["question"], description=spec.get("description"),
                 options=tuple(spec["options"]), opens_at=now,
                 closes_at=now + timedelta(days=spec["days_open"]),
                 multiple=bool(spec.get("multiple")), max_choices=int(spec.get("max_choices", 1)),
                 results_while_open=True, announce=False),
        now=now)
    await publish(session, staff, poll.id, poll.version, now=now)
    await roles.revoke(session, ACTOR, staff.channel, staff.external_id, Role.MODERATOR)
    return 1


def session_export(spec: dict[str, Any], day: str) -> dict[str, Any]:
    """The session as a "Рада"-family e-voting system exports it: agenda items holding
    votes, each with its counts and the roll call (`day` as dd.mm.yyyy)."""
    deputies: list[str] = spec["deputies"]
    composition = len(deputies)
    items = []
    for item in spec["items"]:
        votes = []
        for number, vote in enumerate(item["votes"], start=1):
            counts = dict.fromkeys(_COUNTED.values(), 0)
            for value in vote["roll"]:
                field = _COUNTED.get(vote_code(value))
                if field is not None:
                    counts[field] += 1
            adopted = counts["YESCnt"] > composition // 2
            votes.append({
                "GLNumber": number, "GLType": "ПОІМЕННЕ ГОЛОСУВАННЯ",
                "GLTime": f"{day} {vote['time']}:00", "GL_Text": vote["text"],
                **counts, "TotalCnt": sum(counts.values()),
                "RESULT": " РІШЕННЯ ПРИЙНЯТЕ " if adopted else " РІШЕННЯ НЕ ПРИЙНЯТЕ ",
                "DPList": [{"DPName": name, "DPGolos": value}
                           for name, value in zip(deputies, vote["roll"], strict=True)],
            })
        items.append({"PDNPP": item["number"], "PDName": item["title"], "GL": votes})
    return {"DocTime": f"{day} 18:00:00", "OrgName": spec["org"], "SName": spec["session"],
            "PD": items}


async def add_vote_session(session: AsyncSession, settings: Settings, spec: dict[str, Any],
                           now: datetime) -> int:
    """Import last working week's session and publish it; how many votes it holds."""
    day = first_working_day(local_today(now) - timedelta(days=7))
    export = session_export(spec, day.strftime("%d.%m.%Y"))
    actor = Actor.shell("demo-data")
    limits = VotesLimits.from_megabytes(settings.votes_max_file_mb,
                                        settings.votes_max_unpacked_mb,
                                        settings.votes_max_zip_members)
    report = await import_files(
        session, actor,
        [UploadedFile("demo-session.json", json.dumps(export, ensure_ascii=False).encode())],
        limits=limits, options=ImportOptions(add_unknown_deputies=True))
    if not report.ok:
        raise RuntimeError(f"the demo session was refused: {report.files}")
    for session_id in await session.scalars(select(VoteSession.id).where(
            VoteSession.status == SessionStatus.IMPORTED.value)):
        await publish_session(session, actor, session_id, now=now)
    return sum(len(item["votes"]) for item in spec["items"])
