"""The audit log of staff actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import AuditEntry


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: object | None = None,
    **details: Any,
) -> AuditEntry:
    """Write who (`channel:id`), what, to which target; flushed with the action it describes."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    session.add(entry)
    await session.flush()
    return entry


async def recent(session: AsyncSession, limit: int = 50) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return list(rows)
