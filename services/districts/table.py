"""The council's table of streets (and building ranges) to districts, read from a CSV file.

Columns `street,buildings,district` (a header row; `,` or `;` between cells; lines starting
with `#` are comments). `buildings` is empty for the whole street, or a list such as
`1-49 odd; 2-50 even; 51-; 12А`. A single building beats a range, a range beats the whole
street; two districts claiming the same house are refused when the table is loaded.
See docs/districts.sample.csv.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from services.districts.streets import (
    Building,
    BuildingRange,
    StreetKey,
    parse_building,
    parse_buildings,
    street_key,
)

HEADER = ("street", "buildings", "district")


class TableError(ValueError):
    """A line of the table that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Entry:
    district: str
    singles: tuple[Building, ...]
    ranges: tuple[BuildingRange, ...]
    line: int

    @property
    def whole_street(self) -> bool:
        return not self.singles and not self.ranges


@dataclass(slots=True)
class StreetTable:
    """Streets folded by `street_key`, each with its entries."""

    streets: dict[StreetKey, list[Entry]] = field(default_factory=dict)
    by_name: dict[str, set[StreetKey]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.streets.values())

    def add(self, key: StreetKey, entry: Entry, where: str) -> None:
        # "Миру" and "вул. Миру" may be one street: a row of either must not contradict the other.
        for other_key in self.by_name.get(key.name, ()):
            if other_key != key and None not in (key.kind, other_key.kind):
                continue
            for other in self.streets[other_key]:
                if other.district != entry.district and _clash(other, entry):
                    raise TableError(f"{where}:{entry.line}: the same houses are already in "
                                     f"{other.district!r} (line {other.line})")
        self.streets.setdefault(key, []).append(entry)
        self.by_name.setdefault(key.name, set()).add(key)

    def _street(self, typed: StreetKey) -> list[Entry] | None:
        if typed in self.streets:
            return self.streets[typed]
        # The type left out on one side only ("Шевченка" for "вул. Шевченка"): fine when it
        # names one street; "Шевченка" with both a вулиця and a провулок is asked instead.
        keys = [k for k in self.by_name.get(typed.name, ())
                if typed.kind is None or k.kind is None]
        return self.streets[keys[0]] if len(keys) == 1 else None

    def district_for(self, street: str | None, building: str | None) -> str | None:
        """The district of an address, or None when the table does not say (or is unsure)."""
        if not street:
            return None
        entries = self._street(street_key(street))
        if not entries:
            return None
        house = parse_building(building)
        if house is not None:
            for level in (_singles_with(house), _ranges_with(house)):
                found = {e.district for e in entries if level(e)}
                if found:
                    return found.pop() if len(found) == 1 else None
        whole = {e.district for e in entries if e.whole_street}
        return whole.pop() if len(whole) == 1 else None


def _singles_with(house: Building) -> Callable[[Entry], bool]:
    return lambda e: house in e.singles


def _ranges_with(house: Building) -> Callable[[Entry], bool]:
    return lambda e: any(r.covers(house) for r in e.ranges)


def _clash(a: Entry, b: Entry) -> bool:
    if a.whole_street and b.whole_street:
        return True
    if set(a.singles) & set(b.singles):
        return True
    return any(x.overlaps(y) for x in a.ranges for y in b.ranges)


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    lines = [line for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if not line.lstrip().startswith("#")), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        yield reader.line_num, [cell.strip() for cell in row]


def parse_table(text: str, names: Iterable[str], where: str = "districts table") -> StreetTable:
    """Read the CSV text; every district must be one of `names` (matched ignoring case)."""
    canonical = {name.casefold(): name for name in names}
    table = StreetTable()
    header_seen = False
    for line, row in _rows(text.lstrip("\ufeff")):
        if not header_seen:
            if tuple(cell.casefold() for cell in row[:3]) != HEADER:
                raise TableError(f"{where}:{line}: the first row must be "
                                 f"{','.join(HEADER)}, not {','.join(row)!r}")
            header_seen = True
            continue
        if len(row) < 3:
            raise TableError(f"{where}:{line}: three cells needed (street, buildings, district)")
        street, buildings, district = row[:3]
        key = street_key(street)
        if not key.name:
            raise TableError(f"{where}:{line}: the street is empty")
        if district.casefold() not in canonical:
            raise TableError(f"{where}:{line}: {district!r} is not in DISTRICTS "
                             f"({', '.join(canonical.values()) or 'empty'})")
        try:
            singles, ranges = parse_buildings(buildings)
        except ValueError as exc:
            raise TableError(f"{where}:{line}: {exc}") from None
        table.add(key, Entry(canonical[district.casefold()], singles, ranges, line), where)
    return table
