"""Residents' appeals outside the filing dialog: the section, their appeals and cards, the
follow-up question four weeks after the answer, and the satisfaction mark."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import filing, screens
from handlers.appeals.actions import FollowupAnswer, SectionAction
from handlers.appeals.callbacks import RESIDENT, FollowupCB, MyCardCB, MyListCB, RateCB, SectionCB
from handlers.core import MenuCB
from handlers.kit.show import show
from services import appeals
from services.appeals import AppealRules
from services.errors import InvalidInput, NotFound
from services.i18n import Texts
from services.models import Resident

PER_PAGE = 5


class FollowupForm(StatesGroup):
    comment = State()


async def _section(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                   session: AsyncSession, resident: Resident | None,
                   appeal_rules: AppealRules) -> None:
    await state.set_state(None)
    draft = await appeals.get_draft(session, resident.id) if resident else None
    at = filing.step_at(draft, appeal_rules) if draft is not None else None
    await show(event, screens.section(tr, RESIDENT, at))


async def discard(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                  resident: Resident | None) -> None:
    if resident is not None:
        await appeals.discard_draft(session, resident.id)
        await session.commit()
    await state.set_state(None)
    await show(query, screens.discarded(tr, RESIDENT))


async def my_list(query: CallbackQuery, callback_data: MyListCB, state: FSMContext, tr: Texts,
                  session: AsyncSession, resident: Resident | None) -> None:
    await state.set_state(None)
    page = None if resident is None else await appeals.my_appeals(
        session, resident.id, callback_data.page, PER_PAGE)
    await show(query, screens.my_list(tr, RESIDENT, page))


async def my_card(query: CallbackQuery, callback_data: MyCardCB, tr: Texts,
                  session: AsyncSession, resident: Resident | None) -> None:
    if resident is None:
        raise NotFound("appeals.error.not_found")
    view = await appeals.card_for(session, callback_data.appeal_id, resident.id)
    await show(query, screens.card(tr, RESIDENT, view, callback_data.page))


def _author(resident: Resident | None) -> Resident:
    if resident is None:  # staff without a profile, say: nobody's appeal is theirs
        raise NotFound("appeals.error.not_found")
    return resident


async def followup_yes(query: CallbackQuery, callback_data: FollowupCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, resident: Resident | None,
                       appeal_rules: AppealRules) -> None:
    appeal = await appeals.followup_reply(session, appeal_rules, _author(resident),
                                          callback_data.appeal_id, resolved=True)
    await session.commit()
    await state.set_state(None)
    await show(query, screens.followup_thanks(tr, RESIDENT, appeal, resolved=True))


async def followup_no(query: CallbackQuery, callback_data: FollowupCB, state: FSMContext,
                      tr: Texts, session: AsyncSession, resident: Resident | None) -> None:
    """Not resolved: what is left is asked first (the reply reopens the appeal)."""
    appeal = await appeals.may_comment(session, _author(resident), callback_data.appeal_id)
    await state.set_state(FollowupForm.comment)
    await state.update_data(followup_appeal=appeal.id)
    await show(query, screens.ask_comment(tr, RESIDENT, appeal.number))


async def _commented_appeal(state: FSMContext) -> int:
    appeal_id = (await state.get_data()).get("followup_appeal")
    if not appeal_id:
        await state.set_state(None)
        raise InvalidInput("appeals.error.not_found")
    return int(appeal_id)


async def followup_comment(message: Message, state: FSMContext, tr: Texts,
                           session: AsyncSession, resident: Resident | None,
                           appeal_rules: AppealRules) -> None:
    appeal_id = await _commented_appeal(state)
    if resident is None:
        await state.set_state(None)
        raise InvalidInput("appeals.error.not_found")
    try:
        appeal = await appeals.followup_reply(session, appeal_rules, resident, appeal_id,
                                              resolved=False, comment=message.text)
    except InvalidInput as err:
        number = (await appeals.get(session, appeal_id)).number
        await show(message, screens.ask_comment(tr, RESIDENT, number,
                                                tr(err.message_key, **err.params),
                                                cancel=False))
        return
    await session.commit()
    await state.set_state(None)
    await show(message, screens.followup_thanks(tr, RESIDENT, appeal, resolved=False))


async def followup_comment_not_text(message: Message, state: FSMContext, tr: Texts,
                                    session: AsyncSession) -> None:
    """A sticker or photo instead of the comment: the reason, then the same question again."""
    number = (await appeals.get(session, await _commented_appeal(state))).number
    await show(message, screens.ask_comment(tr, RESIDENT, number,
                                            tr("appeals.error.reason_empty")))


async def rate(query: CallbackQuery, callback_data: RateCB, tr: Texts, session: AsyncSession,
               resident: Resident | None) -> None:
    appeal = await appeals.rate(session, _author(resident), callback_data.appeal_id,
                                callback_data.score)
    await session.commit()
    await show(query, screens.rated(tr, RESIDENT, appeal.number, callback_data.score))


def router() -> Router:
    """The residents' appeals router, the filing dialog included."""
    r = Router(name="appeals")
    # Commands (/menu, /cancel, /help...) always reach their own handlers, whatever the step.
    r.message.filter(~F.text.startswith("/"))
    r.callback_query.register(_section, MenuCB.filter(F.section == "appeals"))
    r.callback_query.register(_section, SectionCB.filter(F.action == SectionAction.SHOW))
    r.callback_query.register(discard, SectionCB.filter(F.action == SectionAction.DISCARD))
    r.callback_query.register(my_list, MyListCB.filter())
    r.callback_query.register(my_card, MyCardCB.filter())
    r.callback_query.register(followup_yes, FollowupCB.filter(F.answer == FollowupAnswer.YES))
    r.callback_query.register(followup_no, FollowupCB.filter(F.answer == FollowupAnswer.NO))
    r.message.register(followup_comment, StateFilter(FollowupForm.comment), F.text)
    r.message.register(followup_comment_not_text, StateFilter(FollowupForm.comment))
    r.callback_query.register(rate, RateCB.filter())
    r.include_router(filing.router())
    return r
