"""A moderator's card of one appeal as the services have it now: shown after the card's
actions (staff.py) and where the staff dialogs end or are cancelled (staff_dialogs.py)."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import screens_staff as screens
from handlers.appeals.callbacks import STAFF
from handlers.kit.show import show
from services import appeals
from services.i18n import Texts


async def card_view(session: AsyncSession, appeal_id: int, notice: str = "",
                    category: str = "", page: int = 0) -> screens.CardView:
    appeal = await appeals.get(session, appeal_id)
    return screens.CardView(appeal, await appeals.history(session, appeal.id),
                            await appeals.supporters_count(session, appeal.id),
                            await appeals.source_petition(session, appeal),
                            notice=notice, category=category, page=page)


async def show_card(event: Message | CallbackQuery, tr: Texts, session: AsyncSession,
                    appeal_id: int, notice: str = "", category: str = "", page: int = 0) -> None:
    await session.commit()  # the action before it is done; do not hold locks over HTTP
    await show(event, screens.card(tr, STAFF, await card_view(session, appeal_id, notice,
                                                              category, page)))
