"""Every field of the poll dialog: clean values pass, each bad one names its problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.districts.rules import DistrictRules
from services.errors import InvalidInput
from services.polls import validation as v
from services.polls.rules import PollRules
from services.timeutil import council_zone, parse_local_datetime

# Monday 1 December 2026, 10:00 in Kyiv.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=council_zone()).astimezone(UTC)


def kyiv(*args: int) -> datetime:
    return datetime(*args, tzinfo=council_zone()).astimezone(UTC)


def key_of(call) -> str:
    with pytest.raises(InvalidInput) as err:
        call()
    return err.value.message_key


@pytest.mark.parametrize(("typed", "expected"), [
    ("25.12.2026 18:00", kyiv(2026, 12, 25, 18, 0)),
    ("25.12.26 18.00", kyiv(2026, 12, 25, 18, 0)),
    ("2026-12-25 18:00", kyiv(2026, 12, 25, 18, 0)),
    ("2026-12-25T18:00", kyiv(2026, 12, 25, 18, 0)),
    ("25.12 о 18:00", kyiv(2026, 12, 25, 18, 0)),
    ("25/12/2026, 9:05", kyiv(2026, 12, 25, 9, 5)),
    ("18:00 25.12", kyiv(2026, 12, 25, 18, 0)),
    ("  25.12   18 ", kyiv(2026, 12, 25, 18, 0)),
    ("завтра 9:30", kyiv(2026, 12, 2, 9, 30)),
    ("Tomorrow 9:30", kyiv(2026, 12, 2, 9, 30)),
    ("05.01 12:00", kyiv(2027, 1, 5, 12, 0)),  # typed in December: next January
    ("30.11 12:00", kyiv(2026, 11, 30, 12, 0)),  # yesterday stays this year (then "past")
])
def test_typed_moments(typed: str, expected: datetime):
    assert parse_local_datetime(typed, NOW) == expected


@pytest.mark.parametrize("typed", [
    "", "завтра", "25.12.2026", "31.02.2027 10:00", "25.12 25:00", "25.13 10:00",
    "tomorrow-ish", "18:00", "12/25", "у понеділок",
])
def test_unreadable_moments(typed: str):
    assert parse_local_datetime(typed, NOW) is None


def test_opening_and_closing_times():
    assert v.parse_opens_at("зараз", NOW) == NOW
    assert v.parse_opens_at("-", NOW) == NOW
    assert v.parse_opens_at("01.12.2026 08:00", NOW) == NOW  # already past: opens now
    assert v.parse_opens_at("02.12.2026", NOW) == kyiv(2026, 12, 2, 0, 0)
    # A date alone closes at the end of that day, council time.
    assert v.parse_closes_at("10.12.2026", NOW, NOW) == kyiv(2026, 12, 10, 23, 59)
    assert v.parse_closes_at("10.12 18:00", NOW, NOW) == kyiv(2026, 12, 10, 18, 0)
    assert key_of(lambda: v.parse_closes_at("30.11.2026 18:00", NOW, NOW)) == (
        "polls.error.close_past")
    assert key_of(lambda: v.parse_closes_at("01.12.2026 09:59", NOW, NOW)) == (
        "polls.error.close_past")
    assert key_of(lambda: v.parse_closes_at("колись", NOW, NOW)) == "polls.error.time_invalid"
    assert key_of(lambda: v.parse_closes_at(None, NOW, NOW)) == "polls.error.time_invalid"
    assert key_of(lambda: v.parse_opens_at("в обід", NOW)) == "polls.error.time_invalid"
    later = kyiv(2026, 12, 5, 12, 0)
    assert key_of(lambda: v.parse_closes_at("04.12.2026 12:00", later, NOW)) == (
        "polls.error.close_before_open")


def test_question_and_description():
    assert v.validate_question("  Чи   потрібен \n сквер? ") == "Чи потрібен сквер?"
    assert key_of(lambda: v.validate_question("  ?! ")) == "polls.error.question_empty"
    assert key_of(lambda: v.validate_question(None)) == "polls.error.not_text"
    assert key_of(lambda: v.validate_question("я" * 301)) == "polls.error.question_too_long"
    assert v.validate_description("-") is None and v.validate_description("  ") is None
    assert v.validate_description("Перший  рядок\n\n\n\nДругий") == "Перший рядок\n\nДругий"
    assert key_of(lambda: v.validate_description("я" * 1001)) == (
        "polls.error.description_too_long")


def test_options():
    assert v.parse_options("1. Так\n\n2) Ні\n- Не знаю") == ("Так", "Ні", "Не знаю")
    assert v.validate_options(["Так", "Ні"]) == ("Так", "Ні")
    assert key_of(lambda: v.parse_options("Так\n3.\nНі")) == "polls.error.option_empty"
    assert key_of(lambda: v.validate_options(["Так", "  ", "Ні"])) == "polls.error.option_empty"
    assert key_of(lambda: v.parse_options("Так\nтак \nНі")) == "polls.error.option_duplicate"
    assert key_of(lambda: v.parse_options("Тільки один")) == "polls.error.options_too_few"
    assert key_of(lambda: v.parse_options("")) == "polls.error.options_too_few"
    eleven = "\n".join(f"Варіант {i}" for i in range(11))
    assert key_of(lambda: v.parse_options(eleven)) == "polls.error.options_too_many"
    assert len(v.parse_options("\n".join(f"Варіант {i}" for i in range(10)))) == 10
    assert key_of(lambda: v.parse_options("Так\n" + "я" * 101)) == "polls.error.option_too_long"
    assert key_of(lambda: v.parse_options(None)) == "polls.error.not_text"
    three = PollRules(options_max=3)
    assert key_of(lambda: v.parse_options("а1\nб2\nв3\nг4", three)) == (
        "polls.error.options_too_many")


def test_choice_limits():
    assert v.parse_max_choices("3", 5) == 3
    assert v.parse_max_choices("-", 5) == 5
    assert v.parse_max_choices("всі", 4) == 4
    assert key_of(lambda: v.parse_max_choices("6", 5)) == "polls.error.max_out_of_range"
    assert key_of(lambda: v.parse_max_choices("1", 5)) == "polls.error.max_out_of_range"
    assert key_of(lambda: v.parse_max_choices("три", 5)) == "polls.error.max_invalid"
    assert v.check_max_choices(False, 1, 3) == 1
    assert key_of(lambda: v.check_max_choices(False, 2, 3)) == "polls.error.max_out_of_range"


def test_districts_of_a_poll():
    rules = DistrictRules.from_values(["Центральний", "Північний", "Південний"])
    assert v.validate_districts(["південний", "Центральний"], rules) == (
        "Центральний", "Південний")
    assert v.validate_districts([], rules) == ()
    assert key_of(lambda: v.validate_districts(["Східний"], rules)) == (
        "polls.error.district_unknown")
    assert key_of(lambda: v.validate_districts(["Центральний"], DistrictRules())) == (
        "polls.error.district_unknown")


def test_the_spec_is_checked_again_as_a_whole():
    rules, districts = PollRules(), DistrictRules()
    spec = v.PollSpec("Питання?", ("Так", "Ні"), opens_at=NOW - timedelta(hours=1),
                      closes_at=NOW + timedelta(days=3))
    checked = spec.checked(rules, districts, NOW)
    assert checked.opens_at == NOW and checked.max_choices == 1
    bad = v.PollSpec("Питання?", ("Так", "так"), NOW, NOW + timedelta(days=1))
    assert key_of(lambda: bad.checked(rules, districts, NOW)) == "polls.error.option_duplicate"
    late = v.PollSpec("Питання?", ("Так", "Ні"), NOW, NOW - timedelta(minutes=1))
    assert key_of(lambda: late.checked(rules, districts, NOW)) == "polls.error.close_past"
    greedy = v.PollSpec("Питання?", ("Так", "Ні"), NOW, NOW + timedelta(days=1),
                        multiple=True, max_choices=3)
    assert key_of(lambda: greedy.checked(rules, districts, NOW)) == (
        "polls.error.max_out_of_range")
