"""The answers of a poll as CSV for the council: district and option only, never a person.

One row per chosen option, sorted by district and option (not by time, so the order of rows
cannot be matched to when someone answered). Staff only, and every export is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, exports
from services.polls.access import Staff, require_moderator
from services.polls.manage import get_poll
from services.polls.models import PollAnswer, PollChoice, PollOption

HEADER = ("district", "option_number", "option")


async def export_answers(session: AsyncSession, staff: Staff, poll_id: int, *,
                         header: tuple[str, str, str] = HEADER, unknown_district: str = "",
                         ) -> tuple[str, bytes]:
    """(file name, CSV bytes with a BOM so spreadsheets read Cyrillic right)."""
    await require_moderator(session, staff)
    await get_poll(session, poll_id)
    rows = (await session.execute(
        select(PollAnswer.district, PollOption.position, PollOption.text)
        .join(PollChoice, PollChoice.answer_id == PollAnswer.id)
        .join(PollOption, PollOption.id == PollChoice.option_id)
        .where(PollAnswer.poll_id == poll_id)
        .order_by(PollAnswer.district.is_(None), PollAnswer.district, PollOption.position)
    )).all()
    cells = [(district or unknown_district, position + 1, text)
             for district, position, text in rows]
    await audit.record(session, staff.key, "poll.export", "poll", poll_id, rows=len(cells))
    return f"poll-{poll_id}-answers.csv", exports.csv_text(header, cells).encode("utf-8-sig")
