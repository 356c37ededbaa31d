"""Row ids as people and buttons hand them in: plain digits within the database's range."""

from __future__ import annotations

# BIGINT on PostgreSQL, INTEGER (64-bit) on SQLite: anything larger cannot name a row, and
# handing it to the database driver raises OverflowError instead of "not found".
MAX_ROW_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ROW_ID))


def parse_row_id(text: str | None) -> int | None:
    """`"12"` → 12; None for anything that cannot be a row id (signs, letters, 0, too large)."""
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or len(value.lstrip("0")) > _MAX_DIGITS:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ROW_ID else None
