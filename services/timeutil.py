"""Kyiv time, quiet hours and working days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")


def to_kyiv(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(KYIV)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_date(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = to_kyiv(moment).date()
    return moment.strftime("%d.%m.%Y")


def format_datetime(moment: datetime) -> str:
    return to_kyiv(moment).strftime("%d.%m.%Y %H:%M")


def quiet_hours_end(now: datetime, quiet_from: int | None, quiet_to: int | None) -> datetime:
    """When a non-urgent message may go out: `now`, or the end of the resident's quiet hours."""
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return now
    local = to_kyiv(now)
    hour = local.hour
    in_quiet = (
        quiet_from <= hour < quiet_to
        if quiet_from < quiet_to
        else hour >= quiet_from or hour < quiet_to
    )
    if not in_quiet:
        return now
    end_day = local.date()
    if quiet_from > quiet_to and hour >= quiet_from:
        end_day += timedelta(days=1)
    end_local = datetime.combine(end_day, time(hour=quiet_to), tzinfo=KYIV)
    return end_local.astimezone(UTC)


def add_working_days(start: datetime, days: int, holidays: Iterable[date] = ()) -> datetime:
    """`start` plus `days` working days in Kyiv (weekends and the given holidays skipped)."""
    skip = set(holidays)
    local = to_kyiv(start)
    current = local
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in skip:
            remaining -= 1
    return current.astimezone(UTC)
