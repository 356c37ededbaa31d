"""Sharing a petition into any Telegram chat (inline mode): `@bot petition 12` offers the
published petition's card with an "open" button; anything else a hint that opens the bot."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.clip import clip_text
from handlers.kit.render_aiogram import telegram_links
from handlers.kit.screen import DeepLink
from handlers.petitions.screens import share_text
from services import petitions
from services.errors import NotFound
from services.i18n import Texts
from services.petitions import PetitionCard

SHARE_CACHE_SECONDS = 30  # the progress changes with every signature
ARTICLE_TITLE_MAX = 100
HINT_START = "petitions"  # the hint button opens the bot with `/start petitions`


async def card_link(bot: Bot, petition_id: int) -> str:
    """The deep link to the card as Telegram opens it (the renderer's rule for links)."""
    links = telegram_links((await bot.me()).username or "")
    return links(DeepLink(petitions.link_payload(petition_id)))


def share_result(tr: Texts, view: PetitionCard, link: str) -> InlineQueryResultArticle:
    p = view.petition
    return InlineQueryResultArticle(
        id=f"petition-{p.id}",
        # Plain text fields: nothing is parsed as HTML there.
        title=clip_text(f"№{p.number} {p.title}", ARTICLE_TITLE_MAX),
        description=tr("petition.inline.description", count=p.signature_count,
                       threshold=p.threshold or "—"),
        input_message_content=InputTextMessageContent(
            message_text=share_text(tr, view, link),
            link_preview_options=LinkPreviewOptions(is_disabled=True)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=tr("petition.btn.open"), url=link)]]),
    )


async def share_inline(query: InlineQuery, session: AsyncSession, bot: Bot, tr: Texts) -> None:
    number = petitions.parse_share_query(query.query)
    results: list[InlineQueryResultUnion] = []
    if number is not None:
        try:
            view = await petitions.card(session, await petitions.find_published(session, number))
        except NotFound:
            pass
        else:
            results.append(share_result(tr, view, await card_link(bot, view.petition.id)))
    hint = None
    if not results:
        key = "petition.inline.hint" if number is None else "petition.inline.not_found"
        hint = InlineQueryResultsButton(text=tr(key, number=number or ""),
                                        start_parameter=HINT_START)
    await query.answer(results, cache_time=SHARE_CACHE_SECONDS, is_personal=True, button=hint)


def router() -> Router:
    r = Router(name="petitions-sharing")
    r.inline_query.register(share_inline)
    return r
