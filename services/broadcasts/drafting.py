"""The composing dialog's draft: the press officer's `Draft` of kind "broadcast".

text → audience → district → confirm (urgent, schedule); "send" claims it, so a double press
sends once. Its data keys: `text`, `photo`, `topic`, `district`, `urgent`, `scheduled_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import drafts
from services.broadcasts.audience import Audience
from services.broadcasts.models import Broadcast
from services.broadcasts.rules import BroadcastRules
from services.broadcasts.sending import create_broadcast
from services.broadcasts.validation import validate_district, validate_text
from services.events.models import Topic
from services.events.subscriptions import parse_topic
from services.models import Channel, Draft
from services.timeutil import as_utc


def _draft(account: str) -> tuple[drafts.Owner, drafts.DraftKind]:
    """The officer's broadcast draft (DraftKind read at call time: see services.models)."""
    return drafts.Owner.staff(account), drafts.DraftKind.BROADCAST


async def get_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.require(session, *_draft(account))


async def start_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.start(session, *_draft(account), "text")


async def discard_draft(session: AsyncSession, account: str) -> None:
    await drafts.discard(session, *_draft(account))


def text_fields(text: str, photo: str | None) -> dict[str, Any]:
    """What a (new) announcement puts in the draft: urgency and time start over."""
    return {"text": text, "photo": photo, "urgent": False, "scheduled_at": None}


def topic_fields(topic: Topic | None) -> dict[str, Any]:
    """A topic's followers, or everyone (None); the district is asked again."""
    return {"topic": topic.value if topic else None, "district": None}


async def draft_text(session: AsyncSession, account: str, text: str | None, photo: str | None,
                     rules: BroadcastRules = BroadcastRules()) -> Draft:
    """Step 1: the announcement (a photo's caption is shorter)."""
    clean = validate_text(text, has_photo=photo is not None, rules=rules)
    return await drafts.update(session, *_draft(account), "audience",
                               **text_fields(clean, photo))


async def draft_topic(session: AsyncSession, account: str, raw: str) -> Draft:
    """Step 2: a topic's followers, or everyone (`""`); the district is asked next."""
    topic = parse_topic(raw) if raw else None
    return await drafts.update(session, *_draft(account), "district",
                               **topic_fields(topic))


async def draft_district(session: AsyncSession, account: str, raw: str | None, *,
                         everywhere: bool = False) -> Draft:
    """Step 3: one district (as typed) or all of them; then the summary."""
    district = None if everywhere else validate_district(raw)
    return await drafts.update(session, *_draft(account), "confirm",
                               district=district)


async def draft_toggle_urgent(session: AsyncSession, account: str) -> Draft:
    return await drafts.change(session, *_draft(account),
                               lambda data: {**data, "urgent": not data.get("urgent")})


async def draft_schedule(session: AsyncSession, account: str, when: datetime) -> Draft:
    return await drafts.update(session, *_draft(account), "confirm",
                               scheduled_at=as_utc(when).isoformat())


async def draft_step(session: AsyncSession, account: str, step: str) -> Draft:
    """Go back to a step (the summary sent the officer there)."""
    return await drafts.update(session, *_draft(account), step)


def draft_audience(data: dict[str, Any]) -> Audience:
    topic = data.get("topic")
    return Audience(Topic(topic) if topic else None, data.get("district"))


def draft_scheduled_at(data: dict[str, Any]) -> datetime | None:
    raw = data.get("scheduled_at")
    return datetime.fromisoformat(raw) if raw else None


async def send_draft(
    session: AsyncSession,
    account: str,
    *,
    version: int | None,
    author_chat_id: str | None,
    author_language: str,
    rules: BroadcastRules = BroadcastRules(),
    now: datetime | None = None,
    author_channel: Channel,
) -> Broadcast:
    """"Send": claim the draft and store the broadcast with its start task, in one transaction.

    The claim is a compare-and-set on the draft row: of two presses (two processes, two
    taps) one creates the broadcast, the other gets `draft.already_submitted`; a draft
    changed since the summary was shown gets `draft.changed`. The caller commits, or rolls
    back on an error (then the draft is there again).
    """
    claimed = await drafts.claim(session, *_draft(account), version)
    data = claimed.data
    return await create_broadcast(
        session, actor=account, author_chat_id=author_chat_id, author_language=author_language,
        text=data.get("text") or "", photo=data.get("photo"), audience=draft_audience(data),
        urgent=bool(data.get("urgent")), scheduled_at=draft_scheduled_at(data), rules=rules,
        now=now, author_channel=author_channel,
    )
