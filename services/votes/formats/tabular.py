"""Tables in CSV (comma, semicolon or tab; quoted cells may span lines) or in JSON (a list of
records, bare or under one key), read into a header and numbered rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from services.votes.normalize import clean_text
from services.votes.report import ImportProblem

_DELIMITERS = (";", ",", "\t", "|")


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: list[tuple[str, list[Any]]]  # (where, cells), "where" as shown to staff
    json: bool = False


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(text: str) -> Table:
    lines = text.lstrip("\n").split("\n", 1)
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[str, list[Any]]] = []
    try:
        for cells in reader:
            if not any(clean_text(c) for c in cells):
                continue
            if header is None:
                header = cells
                continue
            rows.append((f"row {reader.line_num}", cells))
    except csv.Error as exc:
        raise ImportProblem("votes.error.csv", where=f"line {reader.line_num}",
                            reason=str(exc)) from None
    if header is None:
        raise ImportProblem("votes.error.empty")
    return Table(header, rows)


def records_table(records: list[Any]) -> Table:
    """JSON records as a table: the union of their keys, in order of first appearance."""
    header: list[str] = []
    seen: set[str] = set()
    for record in records:
        if not isinstance(record, dict):
            raise ImportProblem("votes.error.json_shape")
        for key in record:
            if key not in seen:
                seen.add(key)
                header.append(key)
    rows = [(f"record {n}", [record.get(k) for k in header]) for n, record in
            enumerate(records, 1)]
    return Table(header, rows, json=True)


def json_records(document: Any) -> list[Any] | None:
    """The list of records in a JSON document: the document itself, or its one list value."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) == 1 and all(isinstance(r, dict) for r in lists[0]):
            return lists[0]
    return None
