"""Sharing a petition: the deep-link payload that opens its card, and finding it by number.

Services give channels a payload ("petition_12"), never a URL: each channel turns it into its
own deep link (Telegram `t.me/<bot>?start=`, Viber `viber://pa?...&context=`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import NotFound
from services.petitions.models import Petition
from services.petitions.numbering import NUMBER_MAX
from services.petitions.status import PUBLIC

__all__ = [
    "LINK_KIND",
    "find_published",
    "link_payload",
    "parse_share_query",
]

LINK_KIND = "petition"
# `petition 12`, `петиція №12`, `#12`, `12`: what people type to share petition №12.
_SHARE_QUERY = re.compile(r"(?:(?:petition|петиці[яюї])\s*)?[№#]?\s*([0-9]{1,12})",
                          re.IGNORECASE)


def link_payload(petition_id: int) -> str:
    """The deep-link payload that opens the petition's card: "petition_12"."""
    return f"{LINK_KIND}_{petition_id}"


def parse_share_query(text: str) -> int | None:
    """`petition 12`, `петиція №12`, `#12`, `12` → 12; None for anything else."""
    match = _SHARE_QUERY.fullmatch(text.strip())
    return int(match[1]) if match else None


async def find_published(session: AsyncSession, number: int) -> int:
    """The id of petition №`number` if anyone may see it; NotFound otherwise."""
    petition_id = None
    if 0 < number <= NUMBER_MAX:
        petition_id = await session.scalar(
            select(Petition.id).where(Petition.number == number, Petition.status.in_(PUBLIC))
        )
    if petition_id is None:
        raise NotFound("petition.error.not_found")
    return petition_id
