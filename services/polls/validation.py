"""Every field a moderator types into the poll dialog, checked once here.

Each validator returns the clean value or raises InvalidInput with a `polls.error.*` key, so
the dialog says what is wrong and asks the same question again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from services.districts.rules import DistrictRules
from services.errors import InvalidInput
from services.i18n import echo
from services.polls.rules import PollRules
from services.timeutil import as_utc, parse_local_datetime

# Typed to mean "no description", "open now", "no limit".
NOTHING = frozenset({"-", "—", "немає", "ні", "no", "none", "skip", "пропустити"})
NOW = frozenset({"-", "—", "зараз", "одразу", "відразу", "now", "сьогодні"})
NO_LIMIT = frozenset({"-", "всі", "усі", "без обмежень", "all", "any", "no limit"})
# A numbered or bulleted list: "1.", "2)", "-", "•" before an option.
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-–—•*·])\s*")


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def validate_question(raw: str | None, rules: PollRules = PollRules()) -> str:
    if raw is None:
        raise InvalidInput("polls.error.not_text")
    question = _clean(raw)
    if not any(ch.isalnum() for ch in question):
        raise InvalidInput("polls.error.question_empty")
    if len(question) > rules.question_max:
        raise InvalidInput("polls.error.question_too_long", limit=rules.question_max,
                           length=len(question))
    return question


def validate_description(raw: str | None, rules: PollRules = PollRules()) -> str | None:
    """Optional: "-" (or nothing) for none. Paragraphs are kept, spaces inside lines folded."""
    if raw is None:
        raise InvalidInput("polls.error.not_text")
    lines = [_clean(line) for line in unicodedata.normalize("NFC", raw).strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text or text.casefold() in NOTHING:
        return None
    if len(text) > rules.description_max:
        raise InvalidInput("polls.error.description_too_long", limit=rules.description_max,
                           length=len(text))
    return text


def validate_option(raw: str | None, rules: PollRules = PollRules()) -> str:
    if raw is None:
        raise InvalidInput("polls.error.not_text")
    option = _clean(_LIST_MARK.sub("", raw, count=1))
    if not any(ch.isalnum() for ch in option):
        raise InvalidInput("polls.error.option_empty")
    if len(option) > rules.option_max:
        raise InvalidInput("polls.error.option_too_long", limit=rules.option_max,
                           option=echo(option, 40))
    return option


def validate_options(options: Iterable[str | None], rules: PollRules = PollRules()
                     ) -> tuple[str, ...]:
    """2-10 options, none empty, no two alike (ignoring case and spacing)."""
    clean: list[str] = []
    seen: set[str] = set()
    for raw in options:
        option = validate_option(raw, rules)
        folded = option.casefold()
        if folded in seen:
            raise InvalidInput("polls.error.option_duplicate", option=echo(option, 40))
        seen.add(folded)
        clean.append(option)
    if len(clean) < rules.options_min:
        raise InvalidInput("polls.error.options_too_few", min=rules.options_min,
                           count=len(clean))
    if len(clean) > rules.options_max:
        raise InvalidInput("polls.error.options_too_many", max=rules.options_max,
                           count=len(clean))
    return tuple(clean)


def parse_options(raw: str | None, rules: PollRules = PollRules()) -> tuple[str, ...]:
    """Options typed one per line (blank lines between them are fine)."""
    if raw is None:
        raise InvalidInput("polls.error.not_text")
    return validate_options((line for line in raw.splitlines() if line.strip()), rules)


def parse_max_choices(raw: str | None, option_count: int) -> int:
    """How many options a multiple-choice answer may take: 2..options, or "-" for all."""
    if raw is None:
        raise InvalidInput("polls.error.not_text")
    text = _clean(raw).casefold()
    if text in NO_LIMIT:
        return option_count
    if not text.isdigit():
        raise InvalidInput("polls.error.max_invalid", max=option_count)
    return check_max_choices(True, int(text), option_count)


def check_max_choices(multiple: bool, max_choices: int, option_count: int) -> int:
    if not multiple:
        if max_choices != 1:
            raise InvalidInput("polls.error.max_out_of_range", max=option_count)
        return 1
    if not 2 <= max_choices <= option_count:
        raise InvalidInput("polls.error.max_out_of_range", max=option_count)
    return max_choices


def validate_districts(names: Sequence[str], rules: DistrictRules) -> tuple[str, ...]:
    """Districts the poll is restricted to (empty: the whole city), in the council's order."""
    chosen: set[str] = set()
    for name in names:
        district = rules.canonical(name)
        if district is None:
            raise InvalidInput("polls.error.district_unknown", district=echo(name, 64))
        chosen.add(district)
    return tuple(n for n in rules.names if n in chosen)


def parse_opens_at(raw: str | None, now: datetime) -> datetime:
    """When the poll opens: "зараз" / "-" (or a moment already past) means now."""
    if raw is None:
        raise InvalidInput("polls.error.time_invalid")
    if _clean(raw).casefold() in NOW:
        return now
    moment = parse_local_datetime(raw, now, date_only_at=time(0, 0))
    if moment is None:
        raise InvalidInput("polls.error.time_invalid")
    return max(moment, now)


def parse_closes_at(raw: str | None, opens_at: datetime, now: datetime) -> datetime:
    """When it closes: a date alone means the end of that day (23:59, council time)."""
    moment = parse_local_datetime(raw, now, date_only_at=time(23, 59))
    if moment is None:
        raise InvalidInput("polls.error.time_invalid")
    return check_times(opens_at, moment, now)[1]


def check_times(opens_at: datetime, closes_at: datetime, now: datetime
                ) -> tuple[datetime, datetime]:
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    if closes_at <= now:
        raise InvalidInput("polls.error.close_past")
    if closes_at <= opens_at:
        raise InvalidInput("polls.error.close_before_open")
    return opens_at, closes_at


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A poll as the moderator confirmed it, every field already clean."""

    question: str
    options: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime
    description: str | None = None
    multiple: bool = False
    max_choices: int = 1
    districts: tuple[str, ...] = ()
    results_while_open: bool = False
    announce: bool = True

    def checked(self, rules: PollRules, district_rules: DistrictRules, now: datetime
                ) -> PollSpec:
        """The same spec with every rule applied again (nothing typed skips a check)."""
        options = validate_options(self.options, rules)
        opens_at, closes_at = check_times(max(as_utc(self.opens_at), now), self.closes_at, now)
        return PollSpec(
            question=validate_question(self.question, rules),
            options=options,
            opens_at=opens_at,
            closes_at=closes_at,
            description=(validate_description(self.description, rules)
                         if self.description is not None else None),
            multiple=self.multiple,
            max_choices=check_max_choices(self.multiple, self.max_choices, len(options)),
            districts=validate_districts(self.districts, district_rules),
            results_while_open=self.results_while_open,
            announce=self.announce,
        )
