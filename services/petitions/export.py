"""The signatures as a CSV for the council's formal consideration (audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, exports
from services.models import Resident
from services.petitions.models import Signature
from services.petitions.status import get
from services.timeutil import format_date

__all__ = ["export_signatures"]


async def export_signatures(
    session: AsyncSession,
    actor: str,
    petition_id: int,
    header: tuple[str, str, str] = ("name", "address", "date"),
    forgotten: str = "",
) -> bytes:
    """CSV (name, address, date) of every signature; `forgotten` stands for erased names."""
    await get(session, petition_id)
    rows = await session.execute(
        select(Resident.full_name, Resident.street, Resident.building, Signature.created_at)
        .join(Resident, Resident.id == Signature.resident_id)
        .where(Signature.petition_id == petition_id)
        .order_by(Signature.created_at, Signature.id)
    )
    cells = [
        [name or forgotten, ", ".join(part for part in (street, building) if part),
         format_date(signed_at)]
        for name, street, building, signed_at in rows
    ]
    text = exports.csv_text(header, cells)
    await audit.record(session, actor, "petition.export", "petition", petition_id,
                       rows=len(cells))
    # A BOM so spreadsheet programs open Cyrillic correctly.
    return text.encode("utf-8-sig")
