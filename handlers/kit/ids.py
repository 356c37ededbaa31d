"""Ids at the edge: typed callback-data fields and the one parser for `/start` payloads.

Callback data and deep links come from outside (any client can forge them), so a number
in them is checked against what the database can hold before any handler sees it; a
forged button then gets the "no longer works" answer, a forged link "not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from services.ids import MAX_ROW_ID, parse_row_id

# Pages (multiplied by the page size for OFFSET) and scores: far inside 64 bits.
MAX_SMALL_NUMBER = 2**31 - 1

# Every integer field of a CallbackData class is one of these (tests/test_ids.py checks).
RowId = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]  # 0 = "none" where a field is optional
SmallNumber = Annotated[int, Field(ge=0, le=MAX_SMALL_NUMBER)]

_PAYLOAD = re.compile(r"([a-z]+)_([0-9A-Za-z-]*)")


@dataclass(frozen=True, slots=True)
class StartPayload:
    """`/start petition_12` → kind "petition", id 12; id None when no such row can exist."""

    kind: str
    id: int | None

    def __str__(self) -> str:
        return f"{self.kind}_{self.id}"


def parse_start_payload(args: str | None) -> StartPayload | None:
    """The payload of a deep link, or None when `/start` carries none of ours."""
    match = _PAYLOAD.fullmatch((args or "").strip())
    if match is None:
        return None
    return StartPayload(match[1], parse_row_id(match[2]))
