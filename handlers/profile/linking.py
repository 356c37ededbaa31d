"""The phone already belongs to a profile: the same person on another account, or a number
handed on? And "not you? unlink" under the notice that an account joined a profile."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.show import show
from handlers.profile import screens
from handlers.profile.callbacks import ACTIONS, LinkCB, UnlinkCB, unlink_data
from handlers.profile.flow import NOT_A_COMMAND, Onboarding, ask, ask_next_step, proceed
from handlers.profile.screens import Reply
from services import profile
from services.accounts import Account
from services.errors import Conflict
from services.i18n import Texts
from services.models import Resident
from services.profile import PhoneHeld, ProfileRules, ProfileStep


async def _ask(message: Message, tr: Texts, masked_phone: str, masked_name: str,
               channel: str) -> None:
    await show(message, screens.link_question(tr, masked_phone, masked_name, channel, ACTIONS))


async def offer(message: Message, state: FSMContext, tr: Texts, held: PhoneHeld,
                account: Account) -> None:
    """Ask whether the profile holding the phone is the person's; nothing is joined yet."""
    await state.set_state(Onboarding.link)
    await state.update_data(link={"holder": held.holder_id, "phone": held.phone,
                                  "masked_phone": held.masked_phone,
                                  "masked_name": held.masked_name})
    await _ask(message, tr, held.masked_phone, held.masked_name, account.channel)


async def link_not_answered(message: Message, state: FSMContext, tr: Texts,
                            resident: Resident | None, profile_rules: ProfileRules,
                            account: Account) -> None:
    pending = (await state.get_data()).get("link")
    if not pending:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    await show(message, screens.notice(tr, "link.use_buttons"))
    await _ask(message, tr, pending["masked_phone"], pending["masked_name"], account.channel)


async def link_answered(query: CallbackQuery, callback_data: LinkCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, profile_rules: ProfileRules,
                        resident: Resident | None, **data: Any) -> None:
    pending = (await state.get_data()).get("link")
    if (resident is None or not pending or resident.is_verified
            or await state.get_state() != Onboarding.link.state
            or not isinstance(query.message, Message)):
        await ask_next_step(query, state, tr, resident, profile_rules)  # a stale button
        return
    await state.update_data(link=None)
    mine = callback_data.reply is Reply.YES
    try:
        if mine:
            joined = await profile.link_account(session, resident, int(pending["holder"]),
                                                str(pending["phone"]),
                                                unlink_callback=unlink_data)
        else:
            joined = await profile.take_phone(
                session, resident, int(pending["holder"]), str(pending["phone"]),
                phone_secret=profile_rules.phone_secret, channel=data["account"].channel)
    except Conflict as err:  # the profile changed while the person was deciding
        await session.rollback()
        await show(query, screens.notice(tr, err.message_key))
        await ask(query.message, state, tr, ProfileStep.PHONE, profile_rules)
        return
    await session.commit()
    await show(query, screens.notice(tr, "link.linked" if mine else "link.own_profile"))
    await proceed(query.message, state, tr, joined, profile_rules, session=session, **data)


async def unlink(query: CallbackQuery, callback_data: UnlinkCB, session: AsyncSession,
                 tr: Texts, resident: Resident | None, account: Account) -> None:
    """The profile's owner says a newly linked account is not theirs: it loses access."""
    done = resident is not None and await profile.unlink_account(
        session, resident, callback_data.identity,
        presser=(account.channel, account.external_id))
    await show(query, screens.notice(tr, "link.unlinked" if done else "link.unlink_gone"))


def router() -> Router:
    linking = Router(name="linking")
    linking.message.register(link_not_answered, StateFilter(Onboarding.link), NOT_A_COMMAND)
    linking.callback_query.register(link_answered, LinkCB.filter())
    linking.callback_query.register(unlink, UnlinkCB.filter())
    return linking
