"""The council's districts as configured: DISTRICTS (names) and DISTRICTS_TABLE (a CSV file)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from services.districts.table import StreetTable, TableError, parse_table


@dataclass(frozen=True, slots=True)
class DistrictRules:
    """Names in the council's order, and the street table when there is one."""

    names: tuple[str, ...] = ()
    table: StreetTable | None = field(default=None, compare=False)

    @property
    def enabled(self) -> bool:
        """No names configured: the city has no districts, and nobody is asked for one."""
        return bool(self.names)

    @classmethod
    def from_values(cls, names: Iterable[str], table_path: str | Path | None = None
                    ) -> DistrictRules:
        """Built once at start-up; a bad table stops the start with the file and line named."""
        clean: list[str] = []
        for name in names:
            name = " ".join(name.split())
            if not name or len(name) > 64:
                raise ValueError(f"DISTRICTS: {name!r} must be 1-64 characters")
            if name.casefold() in {n.casefold() for n in clean}:
                raise ValueError(f"DISTRICTS: {name!r} is named twice")
            clean.append(name)
        table = None
        if table_path:
            path = Path(table_path)
            if not clean:
                raise ValueError("DISTRICTS_TABLE is set but DISTRICTS is empty")
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"DISTRICTS_TABLE: cannot read {path}: {exc}") from exc
            try:
                table = parse_table(text, clean, where=str(path))
            except TableError as exc:
                raise ValueError(f"DISTRICTS_TABLE: {exc}") from exc
        return cls(tuple(clean), table)

    def canonical(self, name: str | None) -> str | None:
        """The configured spelling of a district name, or None when it is not one of them."""
        if not name:
            return None
        folded = " ".join(name.split()).casefold()
        return next((n for n in self.names if n.casefold() == folded), None)

    def derive(self, street: str | None, building: str | None) -> str | None:
        """The district of an address when the table covers it; else None (ask the resident)."""
        if self.table is None:
            return None
        return self.table.district_for(street, building)
