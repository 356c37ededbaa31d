"""`python -m bot demo-data`: sample content for a first look, in an empty database only.

Petitions in every state (waiting for moderation, rejected, collecting with a few signatures,
one signature short of the threshold, awaiting the council's answer, answered), upcoming
events, a consultation poll and a council session with its roll calls, all made by the
services' own functions (the importer reads the session as a council's e-voting export), so
they behave like real ones. The content is demo.json. The people behind it are invented and
have no messenger account: nobody is ever told anything about the demo, and whatever the
demo queued in the outbox (moderators' notices) is taken out again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.terminal.demo_council import add_events, add_poll, add_vote_session
from bot.channels.terminal.text import plain
from bot.config import Settings
from bot.features import build_sections
from services import petitions
from services.db import make_engine, make_sessionmaker, utcnow
from services.i18n import get_translator
from services.models import (
    Appeal,
    Broadcast,
    Channel,
    Event,
    OutboxMessage,
    Petition,
    Resident,
)
from services.petitions.rules import PetitionRules
from services.polls.models import Poll
from services.profile.phones import phone_hash_key
from services.profile.rules import ProfileRules
from services.sections import Sections
from services.votes.models import Deputy, VoteSession

CONTENT = Path(__file__).with_name("demo.json")
ACTOR = "cli:demo-data"
# What makes a database "not empty": anything a resident or the council made.
CONTENT_TABLES = (Resident, Petition, Appeal, Event, Broadcast, Poll, VoteSession, Deputy)
# Invented numbers: +380 00… is no operator's code.
PHONE_PREFIX = "+38000"


@dataclass
class Filled:
    """What the demo made, for the closing summary."""

    petitions: int = 0
    signatures: int = 0
    events: int = 0
    polls: int = 0
    votes: int = 0
    residents: int = 0


async def existing_content(session: AsyncSession) -> dict[str, int]:
    """Rows of content tables that already hold some (empty: the database is empty)."""
    found = {}
    for model in CONTENT_TABLES:
        count = await session.scalar(select(func.count()).select_from(model)) or 0
        if count:
            found[model.__tablename__] = count
    return found


class _People:
    """Invented residents with complete profiles and a verified (invented) phone."""

    def __init__(self, session: AsyncSession, phone_secret: str | None,
                 names: dict[str, list[str]], now: datetime) -> None:
        self.session = session
        self.phone_secret = phone_secret
        self.names = names
        self.now = now
        self.made = 0
        self._key: bytes | None = None

    async def add(self, full_name: str, street: str, building: str) -> Resident:
        if self._key is None:
            self._key = await phone_hash_key(self.session, self.phone_secret)
        self.made += 1
        phone = f"{PHONE_PREFIX}{self.made:07d}"
        resident = Resident(
            language="uk", consent_at=self.now, phone=phone, phone_verified_at=self.now,
            phone_hash=hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest(),
            full_name=full_name, street=street, building=building, is_active=True,
            notifications_enabled=False, created_at=self.now)
        self.session.add(resident)
        return resident

    async def signers(self, count: int) -> list[Resident]:
        surnames, first = self.names["surnames"], self.names["first_names"]
        streets = self.names["streets"]
        made = []
        for i in range(count):
            name = f"{surnames[i % len(surnames)]} {first[(i // len(surnames)) % len(first)]}"
            made.append(await self.add(name, streets[i % len(streets)], str(i % 90 + 1)))
        await self.session.flush()
        return made


async def _sign(session: AsyncSession, rules: PetitionRules, petition_id: int,
                signers: list[Resident], count: int, when: datetime, now: datetime) -> int:
    for i, signer in enumerate(signers[:count]):
        # Spread over the days since publication, oldest first.
        moment = when + (now - when) * (i + 1) / (count + 1)
        await petitions.sign(session, rules, petition_id, signer, now=moment,
                             channel=Channel.TELEGRAM)
    return min(count, len(signers))


async def add_petitions(session: AsyncSession, rules: PetitionRules, content: dict[str, Any],
                        people: _People, filled: Filled) -> None:
    authors = [await people.add(a["full_name"], a["street"], a["building"])
               for a in content["authors"]]
    needed = max([rules.threshold] + [p.get("signatures", 0) for p in content["petitions"]])
    signers = await people.signers(needed)
    for spec in content["petitions"]:
        when = people.now - timedelta(days=spec["days_ago"])
        petition = await petitions.create(session, rules, authors[spec["author"]],
                                          title=spec["title"], text=spec["text"], now=when)
        filled.petitions += 1
        state = spec["state"]
        if state == "moderation":
            continue
        if state == "rejected":
            await petitions.reject(session, rules, ACTOR, petition.id, spec["reason"],
                                   spec.get("comment"), now=when + timedelta(hours=20))
            continue
        published = when + timedelta(hours=6)
        await petitions.approve(session, rules, ACTOR, petition.id, now=published)
        # Collecting stays under the threshold (a council may set a small one).
        count = {"almost": rules.threshold - 1,
                 "collecting": min(spec.get("signatures", 0), rules.threshold - 2)}.get(
            state, rules.threshold)
        filled.signatures += await _sign(session, rules, petition.id, signers, count,
                                         published, people.now)
        if state == "answered":
            await petitions.publish_answer(session, rules, ACTOR, petition.id,
                                           spec["answer_kind"], spec["answer"])


async def fill(session: AsyncSession, settings: Settings, sections: Sections,
               content: dict[str, Any]) -> Filled:
    """Make everything in one transaction (the caller commits)."""
    now = utcnow()
    filled = Filled()
    before = await session.scalar(select(func.max(OutboxMessage.id))) or 0
    people = _People(session, sections.get(ProfileRules).phone_secret, content["signer_names"],
                     now)
    await add_petitions(session, sections.get(PetitionRules), content, people, filled)
    filled.residents = people.made
    filled.events = await add_events(session, sections, content["events"], now)
    filled.polls = await add_poll(session, settings, sections, content["poll"], now)
    filled.votes = await add_vote_session(session, settings, content["council"], now)
    # Nobody is to hear about invented content (moderators would be told of new petitions).
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id > before))
    return filled


async def fill_demo(settings: Settings) -> int:
    """The command: 0 when filled, 1 when the database is not empty, 2 without a schema."""
    tr = get_translator().for_language(settings.default_language)
    settings.ensure_data_dir()
    content = json.loads(CONTENT.read_text(encoding="utf-8"))
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                found = await existing_content(session)
            except DBAPIError:
                print(plain(tr("terminal.demo_no_schema")))
                return 2
            if found:
                listed = ", ".join(f"{name}: {count}" for name, count in found.items())
                print(plain(tr("terminal.demo_not_empty", found=listed)))
                return 1
            filled = await fill(session, settings, build_sections(settings), content)
            await session.commit()
    finally:
        await engine.dispose()
    print(plain(tr("terminal.demo_done", petitions=filled.petitions,
                   signatures=filled.signatures, residents=filled.residents,
                   events=filled.events, polls=filled.polls, votes=filled.votes)))
    return 0
