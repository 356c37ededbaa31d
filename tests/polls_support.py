"""Residents, moderators and published polls for the poll tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from services import roles
from services.db import utcnow
from services.districts.rules import DistrictRules
from services.models import ChannelIdentity, OutboxMessage, Resident, Role
from services.polls import manage
from services.polls.access import Staff
from services.polls.models import Poll
from services.polls.rules import PollRules
from services.polls.validation import PollSpec

RULES = PollRules()
DISTRICTS = DistrictRules.from_values(["Центральний", "Північний", "Південний"])
MODERATOR = Staff("telegram", "900")


async def make_resident(session, n: int, *, district: str | None = None,
                        verified: bool = True, phone_hash: str | None = None,
                        asked: bool = False, lang: str = "uk") -> Resident:
    resident = Resident(
        language=lang, consent_at=utcnow(),
        phone=f"+380{n:09d}" if verified else None,
        phone_verified_at=utcnow() if verified else None,
        phone_hash=phone_hash or (f"hash-{n}" if verified else None),
        full_name=f"Мешканець Номер{n}", street="вул. Миру", building=str(n),
        district=district, district_asked_at=utcnow() if asked else None,
        is_active=True, notifications_enabled=True,
    )
    resident.identities = [ChannelIdentity(channel="telegram", external_id=str(n),
                                           chat_id=str(n))]
    session.add(resident)
    await session.flush()
    return resident


async def make_moderator(session, staff: Staff = MODERATOR) -> Staff:
    await roles.grant(session, "test", staff.channel, staff.external_id, Role.MODERATOR)
    return staff


def spec(now: datetime | None = None, **overrides) -> PollSpec:
    now = now or utcnow()
    values = {"question": "Чи потрібен сквер на вулиці Миру?",
              "options": ("Так", "Ні", "Не знаю"),
              "opens_at": now, "closes_at": now + timedelta(days=7)}
    values.update(overrides)
    return PollSpec(**values)


async def published(session, now: datetime | None = None, **overrides) -> Poll:
    now = now or utcnow()
    draft = await manage.create_draft(session, RULES, DISTRICTS, MODERATOR, spec(now, **overrides),
                                      now=now)
    poll = await manage.publish(session, MODERATOR, draft.id, draft.version, now=now)
    await session.commit()
    return poll


async def option_ids(session, poll_id: int) -> list[int]:
    return [o.id for o in await manage.options_of(session, poll_id)]


async def outbox_rows(session, prefix: str) -> list[OutboxMessage]:
    rows = await session.scalars(select(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key.like(f"{prefix}%"))
                                 .order_by(OutboxMessage.chat_id))
    return list(rows)
