"""Register numbers (`З-2026-000123`) and the statutory terms counted from registration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import counters
from services.appeals.models import Appeal
from services.appeals.rules import AppealRules
from services.timeutil import first_working_day, statutory_deadline, to_local

NUMBER_PREFIX = "З"


def format_number(year: int, seq: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{seq:06d}"


def deadline_for(registered_at: datetime, days: int) -> date:
    """The last day of a term of `days` from registration (moved off a day off)."""
    return statutory_deadline(registered_at, days)


def extension_deadline(requested: date) -> date:
    """A new deadline chosen on a day off ends on the next working day, like every term."""
    return first_working_day(requested)


def latest_deadline(appeal: Appeal, rules: AppealRules) -> date:
    """Art. 20: never past `max_days` (45) after registration, extension included."""
    return deadline_for(appeal.registered_at, rules.max_days)


def days_taken(appeal: Appeal) -> int | None:
    if appeal.answered_at is None:
        return None
    return (to_local(appeal.answered_at).date() - to_local(appeal.registered_at).date()).days


def answered_on_time(appeal: Appeal) -> bool | None:
    if appeal.answered_at is None:
        return None
    return to_local(appeal.answered_at).date() <= appeal.deadline


async def next_seq(session: AsyncSession, year: int) -> int:
    """The year's next number; unique and gap-free since it commits with the appeal."""
    return await counters.next_value(session, f"appeal:{year}")
