"""Public petition numbers: given in order of publication from one shared locked counter."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import counters
from services.petitions.models import Petition

__all__ = ["NUMBER_COUNTER", "NUMBER_MAX", "next_number"]

NUMBER_COUNTER = "petition"
# The number column is an INTEGER: a larger one cannot exist (and would not bind).
NUMBER_MAX = 2**31 - 1


async def next_number(session: AsyncSession) -> int:
    """The next number; concurrent approvals queue on the counter's row instead of computing
    the same max + 1. A counter introduced after numbers were given continues them."""
    return await counters.next_value(
        session, NUMBER_COUNTER, seed=select(func.max(Petition.number)).scalar_subquery()
    )
