"""Recognise a file's format and parse it: e-voting JSON, Annex 29/30 as CSV or JSON."""

from __future__ import annotations

import json
from typing import Any

from services.votes.decoding import DecodedText
from services.votes.formats.annex29 import parse_table
from services.votes.formats.deputies import parse_deputies
from services.votes.formats.evoting import (
    is_named_voting,
    looks_like_evoting,
    parse_named_voting,
    parse_rada,
)
from services.votes.formats.records import ParsedFile
from services.votes.formats.schemas import detect, is_title_row
from services.votes.formats.tabular import Table, json_records, read_csv, records_table
from services.votes.report import ImportProblem

_SPREADSHEETS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # XLSX (a ZIP) and old XLS


def spreadsheet_kind(name: str, data: bytes) -> str | None:
    """Excel files are refused with a hint to save them as CSV."""
    lowered = name.lower()
    if lowered.endswith((".xlsx", ".xlsm", ".xls", ".ods")) or (
        data[:4] == _SPREADSHEETS[1]
    ):
        return lowered.rsplit(".", 1)[-1] if "." in lowered else "xls"
    return None


def _load_json(text: str, lenient: bool) -> Any:
    try:
        return json.loads(text, strict=not lenient)
    except json.JSONDecodeError as exc:
        reason = exc.msg
        if not lenient and "control character" in reason:
            raise ImportProblem("votes.error.json_control", where=f"line {exc.lineno}, "
                                f"column {exc.colno}") from None
        raise ImportProblem("votes.error.json", where=f"line {exc.lineno}, column {exc.colno}",
                            reason=reason) from None
    except RecursionError:
        raise ImportProblem("votes.error.json_shape") from None


def _parse_table(table: Table) -> ParsedFile:
    found = detect(table.header)
    if found is None:
        raise ImportProblem("votes.error.unknown_columns",
                            columns=", ".join(str(c) for c in table.header[:12]))
    resource, columns = found
    if table.rows and not table.json and is_title_row(resource, table.rows[0][1]):
        table = Table(table.header, table.rows[1:])
    if resource.name == "deputies":
        return parse_deputies(columns, table)
    return parse_table(resource, columns, table)


def parse(decoded: DecodedText, *, lenient_json: bool = False) -> ParsedFile:
    """The records of one decoded file; raises ImportProblem(s) when it cannot be read."""
    text = decoded.text.strip()
    if not text:
        raise ImportProblem("votes.error.empty")
    if text[0] in "[{":
        document = _load_json(text, lenient_json)
        if is_named_voting(document):
            return parse_named_voting(document)
        if looks_like_evoting(document):
            return parse_rada(document)
        records = json_records(document)
        if records is None:
            raise ImportProblem("votes.error.json_shape")
        if not records:
            raise ImportProblem("votes.error.no_rows")
        return _parse_table(records_table(records))
    return _parse_table(read_csv(decoded.text))
