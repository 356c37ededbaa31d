"""The council's calendar: days off under martial law, statutory deadlines, the time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import Settings
from services import appeals, jobs, petitions, residents, roles, timeutil
from services.db import utcnow
from services.errors import Conflict
from services.models import Channel, Petition, Role
from services.timeutil import is_day_off, statutory_deadline

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:" + "C" * 35
RULES = appeals.AppealRules()
STAFF = "telegram:900"


def kyiv(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Kyiv"))


# ---- days off -------------------------------------------------------------------------------


def test_weekends_are_days_off_and_working_days_skip_them():
    assert is_day_off(date(2026, 11, 21)) and is_day_off(date(2026, 11, 22))  # Sat, Sun
    assert not is_day_off(date(2026, 11, 20))
    # Two working days from a Friday: Monday and Tuesday.
    assert statutory_deadline(kyiv(2026, 11, 20), 2, working_days=True) == date(2026, 11, 24)


def test_under_martial_law_a_public_holiday_is_a_working_day():
    # Independence Day: a day off in 2021, a working day under martial law (2026, a Monday).
    assert is_day_off(date(2021, 8, 24))
    assert not is_day_off(date(2026, 8, 24))
    # 2022: 8 March came before the law of 15 March 2022; Victory Day (9 May) came after it.
    assert is_day_off(date(2022, 3, 8)) and not is_day_off(date(2022, 5, 9))
    for day in (date(2026, 1, 1), date(2026, 3, 9), date(2026, 6, 29), date(2026, 12, 25)):
        assert not is_day_off(day), day
    # One working day from Friday 21 Aug 2026 is Independence Day itself.
    assert statutory_deadline(kyiv(2026, 8, 21), 1, working_days=True) == date(2026, 8, 24)


def test_working_days_across_the_new_year():
    # Under martial law 1 January is a working day: Tue 30 Dec 2025 + 2 = Thu 1 Jan 2026.
    assert statutory_deadline(kyiv(2025, 12, 30), 2, working_days=True) == date(2026, 1, 1)
    # Before it, 1 January was a day off: Wed 30 Dec 2020 + 2 = Mon 4 Jan 2021.
    assert statutory_deadline(kyiv(2020, 12, 30), 2, working_days=True) == date(2021, 1, 4)


def test_extra_days_off_are_skipped():
    timeutil.configure(extra_days_off=[date(2026, 8, 24)])
    assert is_day_off(date(2026, 8, 24))
    assert statutory_deadline(kyiv(2026, 8, 21), 1, working_days=True) == date(2026, 8, 25)


def test_calendar_term_ending_on_a_day_off_ends_on_the_next_working_day():
    # 30 days from Thu 3 Dec 2026 is Saturday 2 Jan 2027, across the New Year: Monday 4 Jan.
    assert statutory_deadline(kyiv(2026, 12, 3), 30) == date(2027, 1, 4)
    # One that ends on a working day stays.
    assert statutory_deadline(kyiv(2026, 12, 3), 15) == date(2026, 12, 18)


def test_extra_days_off_setting_is_a_list_of_dates():
    settings = Settings(_env_file=None, bot_token=TOKEN,  # type: ignore[call-arg]
                        extra_days_off=" 2026-12-31, 2027-01-02 ")
    assert settings.extra_days_off == [date(2026, 12, 31), date(2027, 1, 2)]
    with pytest.raises(ValidationError, match="extra_days_off"):
        Settings(_env_file=None, bot_token=TOKEN, extra_days_off="31.12.2026")  # type: ignore[call-arg]


# ---- statutory deadlines of appeals and petitions -------------------------------------------


async def _author(session, ext: str = "1"):
    r = await residents.give_consent(session, channel="telegram", external_id=ext, chat_id=ext,
                                     language="uk")
    r.phone, r.phone_verified_at = f"+380500000{int(ext):03d}", utcnow()
    r.full_name, r.street, r.building = "Іван Петренко", "вул. Соборна", "12"
    await session.flush()
    return r


async def _appeal(session, author, now: datetime):
    return await appeals.register(session, RULES, author, kind="complaint", category="roads",
                                  text="Яма на дорозі біля школи номер п'ять", now=now)


async def test_appeal_terms_move_off_days_off(session):
    author = await _author(session)
    # Registered Thu 3 Dec 2026: day 30 is Sat 2 Jan, day 45 Sun 17 Jan.
    december = await _appeal(session, author, kyiv(2026, 12, 3))
    assert december.deadline == date(2027, 1, 4)
    assert appeals.latest_deadline(december, RULES) == date(2027, 1, 18)
    # Registered Fri 10 Jul 2026: day 15 is Sat 25 Jul, day 30 Sun 9 Aug, day 45 Mon 24 Aug
    # (Independence Day, a working day under martial law).
    july = await _appeal(session, author, kyiv(2026, 7, 10))
    assert july.deadline == date(2026, 8, 10)
    assert appeals.latest_deadline(july, RULES) == date(2026, 8, 24)
    await appeals.mark_simple(session, RULES, STAFF, july.id, now=kyiv(2026, 7, 10))
    assert july.deadline == date(2026, 7, 27)


async def test_extension_up_to_the_moved_cap_and_off_a_day_off(session):
    author = await _author(session)
    now = kyiv(2026, 12, 3)
    first = await _appeal(session, author, now)
    # Day 45 is Sunday 17 Jan: the cap is Monday 18 Jan, and it can be chosen.
    await appeals.extend(session, RULES, STAFF, first.id, new_deadline=date(2027, 1, 18),
                         reason="Потрібна експертиза", now=now)
    assert first.deadline == date(2027, 1, 18)
    second = await _appeal(session, author, now)
    # A date chosen on a Saturday becomes the Monday after it.
    await appeals.extend(session, RULES, STAFF, second.id, new_deadline=date(2027, 1, 9),
                         reason="Потрібна експертиза", now=now)
    assert second.deadline == date(2027, 1, 11)


async def test_return_term_of_ten_days_moves_off_a_weekend(session):
    author = await _author(session)
    # Registered Thu 3 Dec 2026: day 10 is Sunday 13 Dec, so Monday 14 Dec is still in time.
    in_time = await _appeal(session, author, kyiv(2026, 12, 3))
    await appeals.return_appeal(session, RULES, STAFF, in_time.id, "Не зазначено суть",
                                now=kyiv(2026, 12, 14, 17))
    late = await _appeal(session, author, kyiv(2026, 12, 3))
    with pytest.raises(Conflict) as err:
        await appeals.return_appeal(session, RULES, STAFF, late.id, "Не зазначено суть",
                                    now=kyiv(2026, 12, 15, 9))
    assert err.value.message_key == "appeals.error.return_late"


async def test_petition_terms_end_with_their_last_working_day(session):
    await roles.grant(session, "test", "telegram", "900", Role.MODERATOR)
    author = await _author(session)
    # Filed Thu 31 Dec 2026 at noon: publication is due within Fri 1 Jan (a working day
    # under martial law) and Mon 4 Jan, until the end of that Monday.
    rules = petitions.PetitionRules(threshold=1)
    petition = await petitions.create(session, rules, author,
                                      title="Відремонтувати дорогу на вулиці Миру",
                                      text="Просимо відремонтувати дорожнє покриття на вулиці.",
                                      now=kyiv(2026, 12, 31))
    due = timeutil.to_local(petition.moderation_due_at)
    assert (due.date(), due.hour, due.minute) == (date(2027, 1, 4), 23, 59)
    assert await petitions.warn_moderation_overdue(session, kyiv(2027, 1, 4, 20)) == 0
    assert await petitions.warn_moderation_overdue(session, kyiv(2027, 1, 5, 0, 30)) == 1
    # Consideration: 10 working days from the threshold (Mon 4 Jan) is Mon 18 Jan.
    await petitions.approve(session, rules, STAFF, petition.id, now=kyiv(2027, 1, 4, 9))
    await petitions.sign(session, rules, petition.id, author, now=kyiv(2027, 1, 4, 10),
                         channel=Channel.TELEGRAM)
    row = await session.get(Petition, petition.id, populate_existing=True)
    assert timeutil.to_local(row.answer_due_at).date() == date(2027, 1, 18)


# ---- the council's time zone ----------------------------------------------------------------


def test_timezone_must_be_an_iana_zone():
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Settings(_env_file=None, bot_token=TOKEN, timezone="Kyiv")  # type: ignore[call-arg]
    assert Settings(_env_file=None, bot_token=TOKEN,  # type: ignore[call-arg]
                    timezone="Europe/Warsaw").timezone == "Europe/Warsaw"


def test_a_wrong_timezone_stops_the_bot_with_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env.update(BOT_TOKEN=TOKEN, TIMEZONE="Mars/Olympus", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "TIMEZONE" in result.stderr and "Mars/Olympus" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_the_configured_zone_is_used_for_dates_today_and_deadlines(session):
    # 20:00 UTC on Mon 23 Nov 2026 is 22:00 in Kyiv but already Tuesday 05:00 in Tokyo.
    moment = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert timeutil.format_datetime(moment) == "23.11.2026 22:00"
    timeutil.configure("Asia/Tokyo")
    assert timeutil.format_datetime(moment) == "24.11.2026 05:00"
    assert timeutil.format_date(moment) == "24.11.2026"
    assert timeutil.local_today(moment) == date(2026, 11, 24)
    assert jobs.daily_at(5)(moment) == "2026-11-24"
    appeal = await _appeal(session, await _author(session), moment)
    assert appeal.deadline == date(2026, 12, 24)  # 30 days from Tokyo's Tuesday


async def test_the_bot_applies_timezone_and_extra_days_off_at_start(bot_app_factory):
    await bot_app_factory(timezone="Asia/Tokyo", extra_days_off="2026-12-31")
    assert timeutil.council_zone() == ZoneInfo("Asia/Tokyo")
    assert is_day_off(date(2026, 12, 31))
    assert timeutil.format_datetime(datetime(2026, 11, 23, 20, 0, tzinfo=UTC)) == (
        "24.11.2026 05:00"
    )


def test_quiet_hours_follow_the_council_zone():
    timeutil.configure("Asia/Tokyo")
    # 14:00 UTC is 23:00 in Tokyo: quiet 22-07 ends at 07:00 Tokyo, 22:00 UTC.
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert timeutil.quiet_hours_end(now, 22, 7) == now + timedelta(hours=8)
