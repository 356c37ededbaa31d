"""E-petitions for residents: browse, search, open a card, sign, withdraw, share, file one."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.aiogram_filters import DeepLink
from handlers.kit.clip import MESSAGE_MAX, clip_html, clip_text
from handlers.kit.ids import RowId, SmallNumber, StartPayload
from handlers.kit.render_aiogram import inline_markup, telegram_links
from handlers.kit.screen import Button, Rows
from handlers.kit.screen import DeepLink as StartLink
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.menu import MenuCB, menu_button
from handlers.onboarding import ProfileRules, on_resume, require_profile
from handlers.ui import show
from services import petitions
from services.db import write_turn
from services.errors import Conflict, NotFound
from services.i18n import Raw, Texts, echo
from services.models import Petition, PetitionStatus, Resident
from services.petitions import ListKind, PetitionCard, PetitionRules
from services.timeutil import format_date

router = Router(name="petitions")

BAR_CELLS = 10
LABEL_MAX = 48
SEARCH_KEPT = 500
NOT_COMMAND = ~F.text.startswith("/")


class PetListCB(CallbackData, prefix="pl"):
    kind: str
    page: SmallNumber = 0


class PetCB(CallbackData, prefix="pc"):
    action: str  # open | sign | withdraw
    id: RowId
    kind: str = ""  # the list to go back to ("" = the petitions section)
    page: SmallNumber = 0


# The filing dialog (handlers/petitions_filing.py) is the wizard of this name.
FILING_WIZARD = "petition"


class PetitionSearch(StatesGroup):
    query = State()


# ---- rendering ----------------------------------------------------------------------------


def progress_bar(count: int, threshold: int | None) -> str:
    if not threshold:
        return ""
    filled = min(BAR_CELLS, count * BAR_CELLS // threshold)
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def petition_label(p: Petition) -> str:
    prefix = f"№{p.number} " if p.number else "🕓 "
    return prefix + _clip(p.title, LABEL_MAX)


def _progress(tr: Texts, p: Petition) -> str:
    if not p.threshold:
        return ""
    percent = min(100, p.signature_count * 100 // p.threshold)
    return tr(
        "petition.card.progress",
        bar=progress_bar(p.signature_count, p.threshold),
        count=Raw(tr.plural("petition.signatures", p.signature_count)),
        threshold=p.threshold,
        percent=percent,
    )


def render_card(tr: Texts, view: PetitionCard, *, body_limit: int | None = None) -> str:
    """The card: number, title, author's public name, text, progress, time left, status, answer."""
    p = view.petition
    body = p.text if body_limit is None else _clip(p.text, body_limit)
    parts = [
        tr("petition.card.title", number=p.number) if p.number else tr("petition.card.draft"),
        tr("petition.card.heading", title=p.title),
        tr("petition.card.author", name=view.author_name or tr("petition.card.author_unknown")),
    ]
    if p.category:
        parts.append(tr("petition.card.category", category=p.category))
    parts += ["", tr("petition.card.body", text=body), ""]
    if p.threshold:
        parts.append(_progress(tr, p))
    if view.days_left is not None and p.deadline is not None:
        parts.append(tr.plural("petition.card.days_left", view.days_left,
                               deadline=format_date(p.deadline)))
    parts.append(tr("petition.card.status", status=Raw(tr(f"petition.status.{p.status}"))))
    if p.status in (PetitionStatus.REJECTED, PetitionStatus.HIDDEN) and p.reject_reason:
        parts.append(tr("petition.card.rejected",
                        reason=Raw(tr(f"petition.reason.{p.reject_reason}"))))
        if p.reject_comment:
            parts.append(tr("petition.notify.rejected_comment", comment=p.reject_comment))
    if p.answer_text and p.answered_at is not None:
        parts += ["", tr("petition.card.answer", date=format_date(p.answered_at),
                         kind=Raw(tr(f"petition.answer_kind.{p.answer_kind}")),
                         answer=p.answer_text)]
    if view.signed:
        parts.append(tr("petition.card.you_signed"))
    text = "\n".join(parts)
    if len(text) > MESSAGE_MAX and body_limit is None:
        return render_card(tr, view, body_limit=max(200, len(p.text) - (len(text) - MESSAGE_MAX)
                                                   - 50))
    return text


async def deep_link(bot: Bot, rules: PetitionRules, petition_id: int) -> str:
    username = (await bot.me()).username or ""
    return telegram_links(username)(StartLink(str(StartPayload("petition", petition_id))))


def _back_to_list(tr: Texts, kind: str, page: int) -> InlineKeyboardButton:
    if kind:
        return InlineKeyboardButton(text=tr("petition.btn.back_list"),
                                    callback_data=PetListCB(kind=kind, page=page).pack())
    return InlineKeyboardButton(text=tr("petition.btn.back_section"),
                                callback_data=MenuCB(section="petitions").pack())


def card_markup(tr: Texts, view: PetitionCard, link: str, kind: str = "",
                page: int = 0) -> InlineKeyboardMarkup:
    p = view.petition
    rows: list[list[InlineKeyboardButton]] = []
    if view.can_sign:
        rows.append([InlineKeyboardButton(
            text=tr("petition.btn.sign"),
            callback_data=PetCB(action="sign", id=p.id, kind=kind, page=page).pack())])
    if view.can_withdraw:
        rows.append([InlineKeyboardButton(
            text=tr("petition.btn.withdraw"),
            callback_data=PetCB(action="withdraw", id=p.id, kind=kind, page=page).pack())])
    if p.status in petitions.PUBLIC and p.number:
        # Opens the chat picker with `@bot petition 12` typed in: the card goes in as is.
        rows.append([InlineKeyboardButton(
            text=tr("petition.btn.share"),
            switch_inline_query=tr("petition.inline.query", number=p.number))])
    rows.append([_back_to_list(tr, kind, page)])
    rows.append([menu_button(tr)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_card(event: Message | CallbackQuery, session: AsyncSession, bot: Bot,
                    rules: PetitionRules, tr: Texts, viewer_id: int | None, petition_id: int,
                    *, kind: str = "", page: int = 0) -> None:
    view = await petitions.card(session, petition_id, viewer_id)
    link = await deep_link(bot, rules, petition_id)
    await show(event, render_card(tr, view), card_markup(tr, view, link, kind, page))


def section_rows(tr: Texts) -> Rows:
    def lst(kind: ListKind) -> Button:
        return Button(tr(f"petition.btn.list_{kind.value}"), PetListCB(kind=kind.value))

    return (
        (lst(ListKind.NEWEST), lst(ListKind.MOST_SIGNED)),
        (lst(ListKind.ENDING_SOON), lst(ListKind.CONSIDERED)),
        (Button(tr("petition.btn.search"), PetListCB(kind="ask")),),
        (Button(tr("petition.btn.create"),
                WizardCB(wizard=FILING_WIZARD, action=WizardAction.START)),),
        (lst(ListKind.MINE), lst(ListKind.SIGNED)),
        (Button(tr("menu.back_to_menu"), MenuCB(section="main")),),
    )


def section_markup(tr: Texts) -> InlineKeyboardMarkup | None:
    return inline_markup(section_rows(tr))


def section_text(tr: Texts, rules: PetitionRules) -> str:
    return tr("petition.section.title",
              threshold=Raw(tr.plural("petition.signatures", rules.threshold)),
              days=rules.period_days)


async def show_list(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                    resident: Resident | None, kind: ListKind, page: int,
                    query: str | None = None) -> None:
    result = await petitions.list_petitions(
        session, kind, page=page, viewer_id=resident.id if resident else None, query=query
    )
    lines = [tr(f"petition.list.{kind.value}", query=echo(query))]
    if not result.items:
        lines.append(tr("petition.list.empty"))
    else:
        lines.append(tr("petition.list.page", page=result.page + 1, pages=result.pages))
        for p in result.items:
            lines.append("")
            lines.append(tr("petition.list.item", number=p.number or "—", title=p.title))
            if p.threshold and p.status != PetitionStatus.MODERATION:
                lines.append(_progress(tr, p))
            if kind in (ListKind.MINE, ListKind.SIGNED, ListKind.SEARCH, ListKind.CONSIDERED):
                lines.append(tr(f"petition.status.{p.status}"))
    rows = [
        [InlineKeyboardButton(
            text=petition_label(p),
            callback_data=PetCB(action="open", id=p.id, kind=kind.value,
                                page=result.page).pack())]
        for p in result.items
    ]
    nav = []
    if result.has_prev:
        nav.append(InlineKeyboardButton(
            text=tr("petition.btn.prev"),
            callback_data=PetListCB(kind=kind.value, page=result.page - 1).pack()))
    if result.has_next:
        nav.append(InlineKeyboardButton(
            text=tr("petition.btn.next"),
            callback_data=PetListCB(kind=kind.value, page=result.page + 1).pack()))
    if nav:
        rows.append(nav)
    rows.append([_back_to_list(tr, "", 0)])
    await show(event, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


# ---- the section, lists and search --------------------------------------------------------


@router.callback_query(MenuCB.filter(F.section == "petitions"))
async def section(query: CallbackQuery, state: FSMContext, tr: Texts,
                  petition_rules: PetitionRules) -> None:
    await state.set_state(None)
    await show(query, section_text(tr, petition_rules), section_markup(tr))


@router.callback_query(PetListCB.filter(F.kind == "ask"))
async def ask_search(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
    await state.set_state(PetitionSearch.query)
    await show(query, tr("petition.search.ask"), InlineKeyboardMarkup(
        inline_keyboard=[[_back_to_list(tr, "", 0)]]))


@router.message(StateFilter(PetitionSearch.query), F.text, NOT_COMMAND)
async def search_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                       resident: Resident | None) -> None:
    if not petitions.search_words(message.text):
        await message.answer(tr("petition.error.search_empty") + "\n" + tr("petition.search.ask"))
        return
    # Only the first words are searched for; the rest need not sit in the dialog state.
    query = (message.text or "")[:SEARCH_KEPT]
    await state.set_state(None)
    await state.update_data(petition_query=query)
    await show_list(message, session, tr, resident, ListKind.SEARCH, 0, query)


@router.message(StateFilter(PetitionSearch.query), NOT_COMMAND)
async def search_not_text(message: Message, tr: Texts) -> None:
    await message.answer(tr("petition.error.not_text") + "\n" + tr("petition.search.ask"))


@router.callback_query(PetListCB.filter())
async def list_page(query: CallbackQuery, callback_data: PetListCB, state: FSMContext,
                    session: AsyncSession, tr: Texts, resident: Resident | None) -> None:
    try:
        kind = ListKind(callback_data.kind)
    except ValueError:
        raise NotFound("petition.error.not_found") from None
    await state.set_state(None)
    search: str | None = None
    if kind == ListKind.SEARCH:
        search = (await state.get_data()).get("petition_query")
        if not search:
            await ask_search(query, state, tr)
            return
    await show_list(query, session, tr, resident, kind, callback_data.page, search)


# ---- the card: open, sign, withdraw, deep link --------------------------------------------


@router.message(DeepLink("petition"))
async def open_by_link(message: Message, link_id: int | None, state: FSMContext,
                       session: AsyncSession, bot: Bot, petition_rules: PetitionRules, tr: Texts,
                       resident: Resident | None) -> None:
    """A shared link opens the card for anyone, even someone who never used the bot."""
    await state.set_state(None)
    try:
        if link_id is None:
            raise NotFound("petition.error.not_found")
        await show_card(message, session, bot, petition_rules, tr,
                        resident.id if resident else None, link_id)
    except NotFound:
        await message.answer(tr("petition.error.not_found"), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_back_to_list(tr, "", 0)], [menu_button(tr)]]))


@router.callback_query(PetCB.filter(F.action == "open"))
async def open_card(query: CallbackQuery, callback_data: PetCB, session: AsyncSession,
                    bot: Bot, petition_rules: PetitionRules, tr: Texts,
                    resident: Resident | None) -> None:
    await show_card(query, session, bot, petition_rules, tr, resident.id if resident else None,
                    callback_data.id, kind=callback_data.kind, page=callback_data.page)


@router.callback_query(PetCB.filter(F.action == "sign"))
async def sign(query: CallbackQuery, callback_data: PetCB, state: FSMContext,
               session: AsyncSession, bot: Bot, petition_rules: PetitionRules, tr: Texts,
               resident: Resident | None, callback_answer: CallbackAnswer,
               profile_rules: ProfileRules) -> None:
    if resident is None or not resident.is_complete:
        # A stale button for a removed petition gets a clear message before any onboarding.
        await petitions.card(session, callback_data.id, resident.id if resident else None)
    ready = await require_profile(query, state, resident, tr,
                                  resume=f"petition:{callback_data.id}",
                                  profile=profile_rules)
    if ready is None:
        return
    viewer_id = ready.id  # read now: a rollback below expires the loaded objects
    try:
        async with write_turn(session):
            try:
                result = await petitions.sign(session, petition_rules,
                                              callback_data.id, ready)
            except Conflict:
                await session.rollback()
                raise
            await session.commit()
    except Conflict as err:
        callback_answer.text = tr(err.message_key, **err.params)
        callback_answer.show_alert = True
    else:
        callback_answer.text = tr("petition.signed" if result.signed else "petition.already_signed")
    await show_card(query, session, bot, petition_rules, tr, viewer_id, callback_data.id,
                    kind=callback_data.kind, page=callback_data.page)


@router.callback_query(PetCB.filter(F.action == "withdraw"))
async def withdraw(query: CallbackQuery, callback_data: PetCB, session: AsyncSession,
                   bot: Bot, petition_rules: PetitionRules, tr: Texts, resident: Resident | None,
                   callback_answer: CallbackAnswer) -> None:
    if resident is None:
        raise NotFound("petition.error.not_signed")
    viewer_id = resident.id  # read now: a rollback below expires the loaded objects
    try:
        await petitions.withdraw(session, callback_data.id, viewer_id)
    except Conflict as err:
        await session.rollback()
        callback_answer.text = tr(err.message_key, **err.params)
        callback_answer.show_alert = True
    else:
        await session.commit()
        callback_answer.text = tr("petition.withdrawn")
    await show_card(query, session, bot, petition_rules, tr, viewer_id, callback_data.id,
                    kind=callback_data.kind, page=callback_data.page)


@on_resume("petition")
async def back_to_petition(message: Message, resident: Resident, tr: Texts, arg: str,
                           **data: Any) -> None:
    """After onboarding started from a card, bring the person back to that card."""
    session: AsyncSession = data["session"]
    petition_rules: PetitionRules = data["petition_rules"]
    bot = message.bot
    assert bot is not None
    try:
        await show_card(message, session, bot, petition_rules, tr, resident.id, int(arg))
    except (NotFound, ValueError):
        await message.answer(tr("petition.error.not_found"))


# ---- sharing into any chat (inline mode) --------------------------------------------------

SHARE_QUERY = re.compile(r"(?:(?:petition|петиці[яюї])\s*)?[№#]?\s*([0-9]{1,12})",
                         re.IGNORECASE)
SHARE_CACHE_SECONDS = 30  # the progress changes with every signature
ARTICLE_TITLE_MAX = 100


def parse_share_query(text: str) -> int | None:
    """`petition 12`, `петиція №12`, `#12`, `12` → 12; None for anything else."""
    match = SHARE_QUERY.fullmatch(text.strip())
    return int(match[1]) if match else None


def share_card(tr: Texts, view: PetitionCard, link: str) -> str:
    """What lands in the chat: number, title, progress, time left, status and the link."""
    p = view.petition
    parts = [tr("petition.card.title", number=p.number), tr("petition.card.heading", title=p.title)]
    if p.threshold:
        parts.append(_progress(tr, p))
    if view.days_left is not None and p.deadline is not None:
        parts.append(tr.plural("petition.card.days_left", view.days_left,
                               deadline=format_date(p.deadline)))
    parts.append(tr("petition.card.status", status=Raw(tr(f"petition.status.{p.status}"))))
    parts += ["", tr("petition.inline.link", link=link)]
    return clip_html("\n".join(parts), MESSAGE_MAX)


def share_result(tr: Texts, view: PetitionCard, link: str) -> InlineQueryResultArticle:
    p = view.petition
    return InlineQueryResultArticle(
        id=f"petition-{p.id}",
        # Plain text fields: nothing is parsed as HTML there.
        title=clip_text(f"№{p.number} {p.title}", ARTICLE_TITLE_MAX),
        description=tr("petition.inline.description", count=p.signature_count,
                       threshold=p.threshold or "—"),
        input_message_content=InputTextMessageContent(
            message_text=share_card(tr, view, link),
            link_preview_options=LinkPreviewOptions(is_disabled=True)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=tr("petition.btn.open"), url=link)]]),
    )


@router.inline_query()
async def share_inline(query: InlineQuery, session: AsyncSession, bot: Bot,
                       petition_rules: PetitionRules, tr: Texts) -> None:
    """`@bot petition 12` in any chat: the published petition's card with an "open" button;
    anything else gets no results and a hint that opens the bot."""
    number = parse_share_query(query.query)
    results: list[InlineQueryResultUnion] = []
    if number is not None:
        try:
            view = await petitions.card(session, await petitions.find_published(session, number))
        except NotFound:
            pass
        else:
            link = await deep_link(bot, petition_rules, view.petition.id)
            results.append(share_result(tr, view, link))
    hint = None
    if not results:
        key = "petition.inline.hint" if number is None else "petition.inline.not_found"
        hint = InlineQueryResultsButton(text=tr(key, number=number or ""),
                                        start_parameter="petitions")
    await query.answer(results, cache_time=SHARE_CACHE_SECONDS, is_personal=True, button=hint)
