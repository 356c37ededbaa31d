"""Street names and building numbers as residents type them, made comparable.

"вул. Шевченка", "вулиця  шевченка", "Шевченка вул" and "ШЕВЧЕНКА" are one street; "пров.
Шевченка" is another. A building is a number with an optional letter or fraction ("12",
"12А", "12-а", "12/1"); ranges of a table cover the numbers between their ends, optionally
only one side of the street (even or odd numbers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Every spelling of a street type, to its one short form.
_STREET_TYPES: dict[str, str] = {}
for short, spellings in {
    "вул": ("вул", "вулиця", "вулиці", "ул", "улица", "street", "st", "str"),
    "просп": ("просп", "проспект", "пр", "пр-т", "пр-кт", "prosp", "avenue", "ave"),
    "пров": ("пров", "провулок", "пер", "переулок", "lane", "ln"),
    "бульв": ("бульв", "бульвар", "б-р", "blvd", "boulevard"),
    "пл": ("пл", "площа", "площадь", "square", "sq"),
    "узвіз": ("узвіз", "узв"),
    "шосе": ("шосе", "ш"),
    "наб": ("наб", "набережна"),
    "майдан": ("майдан", "м-н"),
    "тупик": ("тупик", "туп"),
    "проїзд": ("проїзд", "пр-д"),
    "мкр": ("мкр", "мікрорайон", "мкрн"),
}.items():
    for spelling in spellings:
        _STREET_TYPES[spelling] = short

_APOSTROPHES = str.maketrans({c: "ʼ" for c in "'’‘`´ʹ′"})
# Latin letters that look like Cyrillic ones, as typed on a mixed keyboard ("Mиру", "Нiжинська").
_LATIN_TO_CYRILLIC = str.maketrans("aceiopxyABCEHIKMOPTX", "асеіорхуАВСЕНІКМОРТХ")
_CYRILLIC = re.compile(r"[а-яґєіїё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[.,;:«»\"“”„()№#]")


def _fix_homoglyphs(word: str) -> str:
    if _LATIN.search(word) and _CYRILLIC.search(word):
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


@dataclass(frozen=True, slots=True)
class StreetKey:
    """A street as compared: its type's short form (None when not typed) and its folded name."""

    kind: str | None
    name: str


def street_key(raw: str) -> StreetKey:
    """Fold a typed street: case, apostrophes, spacing, dots, the type word first or last."""
    text = _PUNCTUATION.sub(" ", unicodedata.normalize("NFC", raw).translate(_APOSTROPHES))
    words = [_fix_homoglyphs(w).casefold().replace("ё", "е").strip("-ʼ") for w in text.split()]
    words = [w for w in words if w]
    kind = None
    if len(words) > 1 and words[0] in _STREET_TYPES:
        kind = _STREET_TYPES[words.pop(0)]
    elif len(words) > 1 and words[-1] in _STREET_TYPES:
        kind = _STREET_TYPES[words.pop()]
    return StreetKey(kind, " ".join(words))


_BUILDING = re.compile(r"(?P<number>\d{1,4})\s*[-/ ]?\s*(?P<suffix>[0-9a-zа-яґєії]{0,4})")


@dataclass(frozen=True, slots=True, order=True)
class Building:
    number: int
    suffix: str = ""  # "а" of 12А, "1" of 12/1, folded

    def __str__(self) -> str:
        return f"{self.number}{self.suffix.upper()}"


def parse_building(raw: str | None) -> Building | None:
    """`12`, `12А`, `12-а`, `12 a`, `12/1`, `буд. 12` → Building; None if there is no number."""
    if not raw:
        return None
    text = unicodedata.normalize("NFC", raw).casefold()
    text = re.sub(r"^\s*(?:буд(?:инок)?|б|д|house|bldg)\.?\s*", "", text).strip(" .,")
    match = _BUILDING.fullmatch(text)
    if match is None:
        return None
    suffix = match["suffix"].translate(_LATIN_TO_CYRILLIC)
    return Building(int(match["number"]), suffix)


class Side(StrEnum):
    BOTH = "both"
    EVEN = "even"
    ODD = "odd"


_SIDE_WORDS = {"even": Side.EVEN, "парні": Side.EVEN, "парна": Side.EVEN, "парн": Side.EVEN,
               "odd": Side.ODD, "непарні": Side.ODD, "непарна": Side.ODD, "непарн": Side.ODD}
_RANGE = re.compile(r"(?P<low>\d{1,4})\s*[-–—]\s*(?P<high>\d{1,4})?(?:\s+(?P<side>[^\s\d]+))?")


@dataclass(frozen=True, slots=True)
class BuildingRange:
    """Numbers `low`..`high` (None: to the end of the street) on one or both sides."""

    low: int
    high: int | None
    side: Side = Side.BOTH

    def covers(self, building: Building) -> bool:
        n = building.number
        if n < self.low or (self.high is not None and n > self.high):
            return False
        return self.side is Side.BOTH or (n % 2 == 0) == (self.side is Side.EVEN)

    def overlaps(self, other: BuildingRange) -> bool:
        top = min(self.high if self.high is not None else 10**6,
                  other.high if other.high is not None else 10**6)
        low = max(self.low, other.low)
        if low > top:
            return False
        # One side of the street each: never the same house.
        return Side.BOTH in (self.side, other.side) or self.side is other.side


def parse_buildings(raw: str) -> tuple[tuple[Building, ...], tuple[BuildingRange, ...]]:
    """`1-25 odd; 12А, 40-` → single buildings and ranges; empty → the whole street (both ())."""
    singles: list[Building] = []
    ranges: list[BuildingRange] = []
    for item in re.split(r"[;,]", raw.casefold()):
        item = " ".join(item.split())
        if not item or item in {"*", "всі", "all"}:
            continue
        match = _RANGE.fullmatch(item)
        if match is not None:
            side = Side.BOTH
            if match["side"]:
                if match["side"] not in _SIDE_WORDS:
                    raise ValueError(f"unknown side {match['side']!r} (even/odd, парні/непарні)")
                side = _SIDE_WORDS[match["side"]]
            low, high = int(match["low"]), int(match["high"]) if match["high"] else None
            if high is not None and high < low:
                raise ValueError(f"range {item!r} ends before it starts")
            ranges.append(BuildingRange(low, high, side))
            continue
        building = parse_building(item)
        if building is None:
            raise ValueError(f"{item!r} is neither a building (12, 12А) nor a range (1-25 odd)")
        singles.append(building)
    return tuple(singles), tuple(ranges)
