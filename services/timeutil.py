"""The council's clock and calendar: its time zone, quiet hours, days off, statutory deadlines.

Every date shown and every "today" goes through here. The zone and the extra days off are set
once at start-up (`configure`, from TIMEZONE and EXTRA_DAYS_OFF); Kyiv and the plain Ukrainian
calendar until then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Kyiv"


@dataclass(slots=True)
class _Calendar:
    zone: ZoneInfo
    extra_days_off: frozenset[date] = frozenset()
    # The `holidays` package's Ukrainian calendar, loaded on first use (it costs ~10 MB).
    public: Any = field(default=None)


_calendar = _Calendar(ZoneInfo(DEFAULT_ZONE))


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone such as `Europe/Kyiv`; anything else is a ValueError."""
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{name!r} is not an IANA time zone such as Europe/Kyiv") from exc


def configure(timezone: str = DEFAULT_ZONE, extra_days_off: Iterable[date] = ()) -> None:
    """Set the council's zone and its extra days off (at start-up, before anything runs)."""
    _calendar.zone = parse_zone(timezone)
    _calendar.extra_days_off = frozenset(extra_days_off)


def council_zone() -> ZoneInfo:
    return _calendar.zone


def to_local(moment: datetime) -> datetime:
    """The moment on the council's wall clock."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_calendar.zone)


def local_today(now: datetime | None = None) -> date:
    """The council's calendar day at `now` (default: this moment)."""
    return to_local(now or datetime.now(UTC)).date()


def local_midnight(day: date) -> datetime:
    """The start of `day` in the council's zone, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=_calendar.zone)


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in the council's zone, in UTC: what "by that day" means."""
    return (local_midnight(day + timedelta(days=1)) - timedelta(microseconds=1)).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_date(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = to_local(moment).date()
    return moment.strftime("%d.%m.%Y")


def format_datetime(moment: datetime) -> str:
    return to_local(moment).strftime("%d.%m.%Y %H:%M")


# --- times typed by people ----------------------------------------------------------------

_DAY_WORDS = {"сьогодні": 0, "today": 0, "завтра": 1, "tomorrow": 1, "післязавтра": 2}
_DATE = (r"(?:(?P<iso_y>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
         r"|(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:[./](?P<y>\d{4}|\d{2}))?"
         r"|(?P<word>" + "|".join(_DAY_WORDS) + r"))")
_TIME = r"(?:(?:о|об|at|в)\s+)?(?P<h>\d{1,2})(?:[:.](?P<min>\d{2}))?(?:\s*(?:год\.?|h))?"
_DATE_TIME = re.compile(rf"{_DATE}(?:(?:\s+|t){_TIME})?")
_TIME_DATE = re.compile(rf"{_TIME}\s+{_DATE}")


def parse_local_datetime(raw: str | None, now: datetime, *,
                         date_only_at: time | None = None) -> datetime | None:
    """A moment typed on the council's clock, in UTC; None when it cannot be read.

    Takes `25.12.2026 18:00`, `25.12.26 18.00`, `2026-12-25 18:00`, `25.12 о 18:00`,
    `18:00 25.12`, `завтра 9:30`. Without a year, a date well behind us means next year (typed
    in December for January). A date alone is accepted only with `date_only_at`.
    """
    if raw is None:
        return None
    text = " ".join(raw.replace(",", " ").split()).lower()
    match = _DATE_TIME.fullmatch(text) or _TIME_DATE.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    local_now = to_local(now)
    try:
        if parts["h"] is not None:
            at = time(int(parts["h"]), int(parts["min"] or 0))
        elif date_only_at is not None:
            at = date_only_at
        else:
            return None
        year_given = True
        if parts["word"]:
            day = local_now.date() + timedelta(days=_DAY_WORDS[parts["word"]])
        elif parts["iso_y"]:
            day = date(int(parts["iso_y"]), int(parts["iso_m"]), int(parts["iso_d"]))
        else:
            year_given = parts["y"] is not None
            year = int(parts["y"]) if year_given else local_now.year
            day = date(year + 2000 if year < 100 else year, int(parts["m"]), int(parts["d"]))
        moment = datetime.combine(day, at, tzinfo=_calendar.zone)
        if not year_given and moment < local_now - timedelta(days=31):
            moment = moment.replace(year=day.year + 1)
    except ValueError:  # 31.02, 25:00, or 29.02 with no leap year next
        return None
    return moment.astimezone(UTC)


def quiet_hours_end(now: datetime, quiet_from: int | None, quiet_to: int | None) -> datetime:
    """When a non-urgent message may go out: `now`, or the end of the resident's quiet hours."""
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return now
    local = to_local(now)
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
    end_local = datetime.combine(end_day, time(hour=quiet_to), tzinfo=_calendar.zone)
    return end_local.astimezone(UTC)


# --- days off and statutory deadlines ----------------------------------------------------


def _public_holidays() -> Any:
    if _calendar.public is None:
        import holidays

        # Days off only (the default "public" category): under martial law the package keeps
        # the holidays since 2022 in its "workday" category, so they count as working days.
        _calendar.public = holidays.country_holidays("UA")
    return _calendar.public


def is_day_off(day: date) -> bool:
    """A weekend, a Ukrainian public holiday that is a day off that year, or an extra day off."""
    return day.weekday() >= 5 or day in _calendar.extra_days_off or day in _public_holidays()


def first_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the next working day."""
    while is_day_off(day):
        day += timedelta(days=1)
    return day


def statutory_deadline(start: datetime | date, days: int, *, working_days: bool = False) -> date:
    """The last day of a term of `days` (calendar or working) counted from the day after `start`.

    A term in calendar days that ends on a day off ends on the next working day instead
    (Civil Code of Ukraine, Art. 254); one in working days always ends on a working day.
    """
    day = to_local(start).date() if isinstance(start, datetime) else start
    if not working_days:
        return first_working_day(day + timedelta(days=days))
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if not is_day_off(day):
            remaining -= 1
    return day
