"""Normalisation of what councils publish: vote values, results, names, numbers and dates.

Every function keeps to one rule, stated in its docstring, and raises `ValueError` (caught
by the parsers and turned into a report line) for a value it cannot read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from services.timeutil import council_zone
from services.votes.models import DecisionResult, VoteValue

_SPACES = re.compile(r"\s+")
# Apostrophe look-alikes in Ukrainian names (Ар'єва, Ар’єва, Арʼєва) all become ʼ (U+02BC).
_APOSTROPHES = str.maketrans({c: "ʼ" for c in "'’‘`´ʹ′＇"})
# Latin letters that look Cyrillic; typed into Cyrillic words by mistake (e.g. Latin "I").
_LATIN_TO_CYRILLIC = str.maketrans(
    "AaBCcEeHIiKMOoPpTXxYy",
    "АаВСсЕеНІіКМОоРрТХхУу",
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
NULL_WORDS = frozenset({"", "null", "none", "nan", "n/a", "-", "—", "–"})


# Control and invisible format characters (line breaks, zero-width spaces, BOM, bidi marks).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060\ufeff]")


def clean_text(value: object) -> str:
    """One line: NFC, no control characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    return _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()


def optional_text(value: object) -> str | None:
    """`clean_text`, with empty and the literal `null` (as Annex 30 writes it) as None."""
    text = clean_text(value)
    return None if text.casefold() in NULL_WORDS else text


def fix_homoglyphs(word: str) -> str:
    """Latin look-alike letters inside a mostly Cyrillic word become Cyrillic."""
    if _LATIN.search(word) and len(_CYRILLIC.findall(word)) >= len(_LATIN.findall(word)):
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


@lru_cache(maxsize=8192)
def fold(value: str) -> str:
    """A search key: casefolded, ґ→г, ё→е, apostrophes dropped, hyphens and dots as spaces."""
    text = clean_text(value).translate(_APOSTROPHES)
    text = " ".join(fix_homoglyphs(w) for w in text.split(" "))
    text = text.casefold().replace("ґ", "г").replace("ё", "е").replace("ʼ", "")
    text = re.sub(r"[-.,;:«»\"“”„()]", " ", text)
    return _SPACES.sub(" ", text).strip()


def search_words(query: str | None, limit: int = 5) -> list[str]:
    """Up to `limit` words of at least two letters from a search query, folded."""
    return [w for w in fold(query or "").split(" ") if len(w) >= 2][:limit]


# ---- vote values ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def vote_value(raw: str | None) -> VoteValue:
    """Map a published vote (any case, padding, feminine forms, abbreviations) to a value.

    Rule: trim, casefold, collapse spaces; then `за` → for; starts with `прот` → against;
    `утр` → abstain; `н/г`, `нг`, `не`, or starting `не г`/`на г`/`не б` → did not vote;
    `відс`/`в/д` → absent; dots only, `0`, `-` or empty → absent. English words work too.
    """
    text = clean_text(raw).casefold().translate(_APOSTROPHES)
    text = " ".join(fix_homoglyphs(w) for w in text.split(" "))
    bare = text.rstrip(". ")
    if not bare or set(text) <= set(". ") or bare in ("0", "-", "—", "–"):
        return VoteValue.ABSENT
    if bare in ("н/г", "нг", "не", "н г") or bare.startswith(
        ("не г", "на г", "не б", "неголос", "not vot", "did not", "no vote")
    ):
        return VoteValue.NOT_VOTING
    if bare in ("за", "for", "yes", "aye"):
        return VoteValue.FOR
    if bare.startswith(("прот", "against")) or bare in ("no", "nay"):
        return VoteValue.AGAINST
    if bare.startswith(("утр", "abst")):
        return VoteValue.ABSTAIN
    if bare.startswith(("відс", "в/д", "absent")):
        return VoteValue.ABSENT
    raise ValueError(raw)


@lru_cache(maxsize=4096)
def vote_code(raw: str | None) -> str:
    """`vote_value` as its plain string (hashing an enum member costs a Python call)."""
    return vote_value(raw).value


@lru_cache(maxsize=1024)
def decision_result(raw: str | None) -> DecisionResult | None:
    """The published outcome: «Прийнято»/« РІШЕННЯ ПРИЙНЯТЕ »/«Не прийнято»/«Не голосували»/
    «Не розглядали» (any case, padding, with or without «рішення», -о/-е/-ий/-а endings).

    Empty means the source published none (None); anything else unknown raises ValueError.
    """
    text = clean_text(raw).casefold().rstrip(".! ")
    text = re.sub(r"^рішення\s+", "", text)
    if not text:
        return None
    if re.fullmatch(r"не\s*прийнят\w*|відхилен\w*|not adopted|rejected", text):
        return DecisionResult.NOT_ADOPTED
    if re.fullmatch(r"прийнят\w*|ухвален\w*|adopted|passed", text):
        return DecisionResult.ADOPTED
    if re.fullmatch(r"не\s*голосувал\w*|not voted", text):
        return DecisionResult.NOT_VOTED
    if re.fullmatch(r"не\s*розгляда\w*|не\s*розглянут\w*|знят\w* з розгляду|not considered", text):
        return DecisionResult.NOT_CONSIDERED
    raise ValueError(raw)


# ---- names ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name as printed, split into surname and the rest, with its matching keys."""

    family: str
    given: str | None
    patronymic: str | None
    display: str  # "Артеменко Сергій Васильович" or "Артеменко С. В."
    short: str  # "Артеменко С. В."
    short_key: str  # "артеменко с в": surname + initials, casefolded
    full_key: str | None  # "артеменко сергій васильович" when the full name is known


def _name_words(raw: str) -> list[str]:
    text = clean_text(raw).translate(_APOSTROPHES)
    # "С.В." and "С. В." and "С .В" are the same initials; dots end an initial.
    text = re.sub(r"\s*\.\s*", ". ", text)
    return [fix_homoglyphs(w) for w in text.replace(". ", " . ").split() if w != "."]


def is_placeholder_name(raw: str | None) -> bool:
    """Rows like `. ....` or `. .. ..` (a seat with no card) carry no letters at all."""
    return not any(ch.isalpha() for ch in raw or "")


@lru_cache(maxsize=8192)
def person_name(raw: str) -> PersonName:
    """Parse "Прізвище Ім'я По-батькові" or "Прізвище І. Б." (any spacing and dots)."""
    words = _name_words(raw)
    if not words or is_placeholder_name(raw):
        raise ValueError(raw)
    family, rest = words[0], words[1:]
    initials = [w[0].upper() for w in rest]
    short = " ".join([family, *[f"{i}." for i in initials]])
    has_full = bool(rest) and all(len(w) > 1 for w in rest)
    return PersonName(
        family=family,
        given=rest[0] if has_full else None,
        patronymic=" ".join(rest[1:]) or None if has_full else None,
        display=" ".join([family, *rest]) if has_full else short,
        short=short,
        short_key=fold(" ".join([family, *initials])),
        full_key=fold(" ".join([family, *rest])) if has_full else None,
    )


def compose_name(family: str, given: str | None, patronymic: str | None) -> PersonName:
    """A name from Annex 30's three columns."""
    return person_name(" ".join(p for p in (family, given, patronymic) if p))


# ---- factions -----------------------------------------------------------------------------

UNAFFILIATED_KEY = "позафракційні"
UNAFFILIATED_NAME = "Позафракційні"


def faction_key(name: str) -> str:
    """Spelling-insensitive key of a faction; every form of «Позафракційний» is one key."""
    key = fold(name)
    if key.startswith("позафракц") or key in ("поза фракціями", "без фракції"):
        return UNAFFILIATED_KEY
    return key


# ---- numbers and dates ------------------------------------------------------------------


def count_value(raw: object) -> int | None:
    """A count given as a number or as text ("12", " 12 ", "12.0"); empty/null is None."""
    if raw is None or isinstance(raw, bool):
        if raw is None:
            return None
        raise ValueError(raw)
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError(raw)
        number = int(raw)
    else:
        text = clean_text(raw).replace("\u00a0", "").replace(" ", "")
        if text.casefold() in NULL_WORDS:
            return None
        if re.fullmatch(r"\d+([.,]0+)?", text) is None:
            raise ValueError(raw)
        number = int(re.split(r"[.,]", text)[0])
    if number < 0:
        raise ValueError(raw)
    return number


_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y")
_DATETIME_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M:%S", "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
)


def parse_date(raw: object) -> date | None:
    """A date: ISO `YYYY-MM-DD`, `dd.mm.yyyy` or `dd.mm.yy` (a time after it is ignored)."""
    text = optional_text(raw)
    if text is None:
        return None
    moment = parse_moment(text)
    if moment is not None and (" " in text or "T" in text):
        return moment.astimezone(council_zone()).date()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


_KYIV_MOMENT = re.compile(r"(\d\d)\.(\d\d)\.(\d{4}) (\d\d):(\d\d):(\d\d)")


def parse_moment(raw: object) -> datetime | None:
    """A moment, as aware UTC: ISO 8601 (with `Z` or an offset) or Kyiv local time
    `dd.mm.yyyy HH:MM[:SS]`, `dd.mm.yy HH:MM[:SS]`. A bare date is None."""
    if raw.__class__ is str:  # the e-voting systems' own format, read without strptime
        match = _KYIV_MOMENT.fullmatch(raw)
        if match:
            d, m, y, hh, mm, ss = map(int, match.groups())
            try:
                return datetime(y, m, d, hh, mm, ss, tzinfo=council_zone()).astimezone(UTC)
            except ValueError:
                raise ValueError(raw) from None
    text = optional_text(raw)
    if text is None:
        return None
    if "T" in text:
        iso = text.replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            raise ValueError(raw) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=council_zone())
        return moment.astimezone(UTC)
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=council_zone()).astimezone(UTC)
        except ValueError:
            continue
    for fmt in _DATE_FORMATS:
        try:
            datetime.strptime(text, fmt)
            return None
        except ValueError:
            continue
    raise ValueError(raw)


def seconds_of_day(moment: datetime) -> int:
    """Kyiv seconds since midnight: the order of votes within one plenary day."""
    local = moment.astimezone(council_zone())
    return local.hour * 3600 + local.minute * 60 + local.second


def district_number(raw: object) -> int | None:
    """Annex 30 `areaId`: digits only (a "№" or "округ" around them is tolerated), or null."""
    text = optional_text(raw)
    if text is None:
        return None
    match = re.fullmatch(r"(?:№\s*)?(\d{1,4})(?:[.,]0+)?(?:\s*округ)?", text, re.IGNORECASE)
    if match is None:
        raise ValueError(raw)
    return int(match.group(1))
