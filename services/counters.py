"""Named gap-free counters (appeal numbers per year, petition numbers), one row each.

`next_value` bumps the row with `UPDATE ... RETURNING`: the row lock is held until the caller's
transaction ends, so the number and whatever carries it commit (or roll back) together.
SQLite serialises writers; PostgreSQL makes a concurrent bump wait and re-read the row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts
from services.models import Counter


async def next_value(session: AsyncSession, name: str, *, seed: Any = None) -> int:
    """The next number of counter `name`; a missing counter starts after `seed`.

    `seed` is a scalar SQL expression (e.g. the largest number already issued) or None for 0,
    so a counter introduced after numbers were given out continues them.
    """
    bump = (
        update(Counter)
        .where(Counter.name == name)
        .values(last_value=Counter.last_value + 1)
        .returning(Counter.last_value)
        .execution_options(synchronize_session=False)
    )
    value = (await session.execute(bump)).scalar_one_or_none()
    if value is None:
        start = literal(0) if seed is None else func.coalesce(seed, 0)
        # INSERT ... SELECT: on a conflict (a concurrent first bump) nothing is inserted.
        # SQLite needs a WHERE in the SELECT of an upsert to parse it.
        await session.execute(
            insert_ignoring_conflicts(session, Counter.__table__).from_select(
                ["name", "last_value"], select(literal(name), start).where(true())
            )
        )
        value = (await session.execute(bump)).scalar_one()
    return int(value)
