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


# ---- through the bot --------------------------------------------------------------------

DISTRICT_NAMES = "Центральний,Північний,Південний"


async def bot_poll(bot_app, now: datetime | None = None, **overrides) -> int:
    """A published poll (set up through the services by moderator 900)."""
    async with bot_app.sessionmaker() as session:
        await make_moderator(session)
        poll = await published(session, now, **overrides)
        return poll.id


async def poll_row(bot_app, poll_id: int) -> Poll:
    async with bot_app.sessionmaker() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        return poll


async def choices_of(bot_app, poll_id: int, user_id: int) -> list[str]:
    """The option texts a Telegram user's resident chose in a poll."""
    from services.polls.models import PollAnswer, PollChoice, PollOption

    async with bot_app.sessionmaker() as session:
        rows = await session.scalars(
            select(PollOption.text)
            .join(PollChoice, PollChoice.option_id == PollOption.id)
            .join(PollAnswer, PollAnswer.id == PollChoice.answer_id)
            .join(ChannelIdentity, ChannelIdentity.resident_id == PollAnswer.resident_id)
            .where(PollAnswer.poll_id == poll_id, ChannelIdentity.external_id == str(user_id))
            .order_by(PollOption.position))
        return list(rows)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def uploaded_photo(params: dict) -> dict | None:
    """The file a sendPhoto call uploaded (aiogram sends it as `attach://<field>`); None when
    the call named a file id instead."""
    photo = params.get("photo")
    if isinstance(photo, str) and photo.startswith("attach://"):
        return params[photo.removeprefix("attach://")]
    return photo if isinstance(photo, dict) else None
