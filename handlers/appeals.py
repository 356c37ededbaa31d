"""Residents' appeals: file one step by step (a resumable draft), follow it, answer the follow-up.

Steps: type → category → text → files → location → who may read it → confirmation. Every step
is kept in the draft in the database, so an abandoned dialog can be resumed or discarded, and
nothing is registered before the resident presses "Submit".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.dialogs import register_dialog
from handlers.kit.ids import RowId, SmallNumber
from handlers.menu import MenuCB, menu_button
from handlers.onboarding import ProfileRules, on_resume, require_profile
from handlers.ui import show
from services import appeals, drafts
from services.appeals import AppealRules
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput
from services.i18n import Raw, Texts
from services.models import Resident
from services.models.appeals import (
    Appeal,
    AppealDraft,
    AppealEvent,
    AppealType,
    AttachmentKind,
)
from services.timeutil import format_date, format_datetime

router = Router(name="appeals")
# Commands (/menu, /cancel, /help...) always reach their own handlers, whatever the step.
router.message.filter(~F.text.startswith("/"))

STEP_NUMBERS = {"type": 1, "category": 2, "text": 3, "files": 4, "location": 5, "public": 6,
                "confirm": 7}
TOTAL_STEPS = len(STEP_NUMBERS)
PER_PAGE = 5
SNIPPET = 120


class AppealCB(CallbackData, prefix="ap"):
    action: str
    value: str = ""
    id: RowId = 0
    page: SmallNumber = 0


class FollowupCB(CallbackData, prefix=appeals.FOLLOWUP_PREFIX):
    """Packed as services.appeals.followup_callback does (outbox buttons carry it)."""

    appeal_id: RowId
    answer: str


class RateCB(CallbackData, prefix="aprt"):
    appeal_id: RowId
    score: SmallNumber


class AppealForm(StatesGroup):
    type = State()
    category = State()
    text = State()
    files = State()
    location = State()
    location_confirm = State()
    public = State()
    confirm = State()


register_dialog(DraftKind.APPEAL, AppealForm)


class FollowupForm(StatesGroup):
    comment = State()


# --- small rendering helpers -------------------------------------------------------------


def _button(text: str, action: str, value: str = "", id: int = 0, page: int = 0
            ) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=AppealCB(action=action, value=value, id=id, page=page).pack()
    )


def _markup(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def _nav(tr: Texts, back_to: str) -> list[InlineKeyboardButton]:
    return [_button(tr("common.back"), "back", back_to), _button(tr("common.cancel"), "cancel")]


def _step(tr: Texts, step: str) -> str:
    return tr("appeals.step", k=STEP_NUMBERS[step], n=TOTAL_STEPS)


def _snippet(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_line(tr: Texts, appeal: Appeal) -> str:
    return tr("appeals.list.item", number=appeal.number,
              status=appeals.status_label(tr, appeal.status),
              deadline=format_date(appeal.deadline))


# --- the appeals section -----------------------------------------------------------------


async def show_section(event: Message | CallbackQuery, tr: Texts, session: AsyncSession,
                       resident: Resident | None) -> None:
    draft = await appeals.get_draft(session, resident.id) if resident else None
    rows = [[_button(tr("appeals.section.new"), "new")]]
    if draft is not None:
        rows.append([_button(tr("appeals.section.resume", k=STEP_NUMBERS.get(draft.step, 1),
                                n=TOTAL_STEPS), "resume")])
        rows.append([_button(tr("appeals.section.discard"), "discard")])
    rows.append([_button(tr("appeals.section.mine"), "list")])
    rows.append([menu_button(tr)])
    await show(event, tr("appeals.section.title"), _markup(*rows))


@router.callback_query(MenuCB.filter(F.section == "appeals"))
async def section(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                  resident: Resident | None) -> None:
    await state.set_state(None)
    await show_section(query, tr, session, resident)


@router.callback_query(AppealCB.filter(F.action == "section"))
async def back_to_section(query: CallbackQuery, state: FSMContext, tr: Texts,
                          session: AsyncSession, resident: Resident | None) -> None:
    await state.set_state(None)
    await show_section(query, tr, session, resident)


@router.callback_query(AppealCB.filter(F.action == "new"))
async def new_appeal(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                     resident: Resident | None, appeal_rules: AppealRules,
                    profile_rules: ProfileRules) -> None:
    if resident is None or not resident.is_complete:
        # Art. 8: the law does not consider anonymous appeals, so the profile comes first.
        if isinstance(query.message, Message):
            await query.message.answer(tr("appeals.profile_needed"))
        await require_profile(query, state, resident, tr, resume="appeal",
                              profile=profile_rules)
        return
    draft = await appeals.get_draft(session, resident.id)
    if draft is not None:
        await show(query, tr("appeals.draft.exists", k=STEP_NUMBERS.get(draft.step, 1),
                             n=TOTAL_STEPS),
                   _markup([_button(tr("appeals.draft.resume"), "resume")],
                           [_button(tr("appeals.draft.discard_new"), "restart")],
                           [_button(tr("common.back"), "section")]))
        return
    await _start(query, state, tr, session, resident, appeal_rules)


@on_resume("appeal")
async def resume_after_onboarding(message: Message, resident: Resident, tr: Texts,
                                  arg: str, state: FSMContext, session: AsyncSession,
                                  appeal_rules: AppealRules, **_: Any) -> None:
    """Onboarding is done: the resident goes straight on to filing."""
    draft = await appeals.get_draft(session, resident.id)
    if draft is None:
        await _start(message, state, tr, session, resident, appeal_rules)
    else:
        await _ask(message, state, tr, session, draft, appeal_rules)


@router.callback_query(AppealCB.filter(F.action == "restart"))
async def restart(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                  resident: Resident | None, appeal_rules: AppealRules,
                 profile_rules: ProfileRules) -> None:
    author = await require_profile(query, state, resident, tr, resume="appeal",
                                   profile=profile_rules)
    if author is not None:
        await _start(query, state, tr, session, author, appeal_rules)


@router.callback_query(AppealCB.filter(F.action == "resume"))
async def resume(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                 resident: Resident | None, appeal_rules: AppealRules,
                profile_rules: ProfileRules) -> None:
    author = await require_profile(query, state, resident, tr, resume="appeal",
                                   profile=profile_rules)
    if author is None:
        return
    draft = await appeals.get_draft(session, author.id)
    if draft is None:
        await _start(query, state, tr, session, author, appeal_rules)
        return
    await _ask(query, state, tr, session, draft, appeal_rules)


@router.callback_query(AppealCB.filter(F.action == "discard"))
async def discard(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                  resident: Resident | None) -> None:
    if resident is not None:
        await appeals.discard_draft(session, resident.id)
        await session.commit()
    await state.set_state(None)
    await show(query, tr("appeals.draft.discarded"),
               _markup([_button(tr("appeals.section.back"), "section")], [menu_button(tr)]))


@router.callback_query(AppealCB.filter(F.action == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                 resident: Resident | None) -> None:
    """Cancel drops the draft: no half-written appeal is kept or registered."""
    await discard(query, state, tr, session, resident)


async def _start(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                 session: AsyncSession, resident: Resident, appeal_rules: AppealRules) -> None:
    draft = await appeals.start_draft(session, resident.id)
    await session.commit()
    await state.update_data(appeal_warned=[])
    await _ask(event, state, tr, session, draft, appeal_rules)


# --- asking each step --------------------------------------------------------------------


async def _ask(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
               session: AsyncSession, draft: AppealDraft, appeal_rules: AppealRules,
               prefix: str = "") -> None:
    """Show the question of the draft's current step (editing the pressed message in place)."""
    data = draft.data or {}
    step = draft.step if draft.step in STEP_NUMBERS else "type"
    head = (prefix + "\n\n" if prefix else "") + _step(tr, step) + "\n"
    if step == "type":
        await state.set_state(AppealForm.type)
        buttons = [[_button(appeals.type_label(tr, t.value), "type", t.value)] for t in AppealType]
        await show(event, head + tr("appeals.ask.type"),
                   _markup(*buttons, [_button(tr("common.back"), "section"),
                                      _button(tr("common.cancel"), "cancel")]))
    elif step == "category":
        await state.set_state(AppealForm.category)
        cats = [_button(appeals.category_label(tr, c), "cat", c) for c in appeal_rules.categories]
        rows = [cats[i : i + 2] for i in range(0, len(cats), 2)]
        await show(event, head + tr("appeals.ask.category"), _markup(*rows, _nav(tr, "type")))
    elif step == "text":
        await state.set_state(AppealForm.text)
        current = tr("appeals.ask.text_current", text=_snippet(data["text"], 300)) \
            if data.get("text") else ""
        rows = [[_button(tr("appeals.keep_text"), "keep_text")]] if data.get("text") else []
        await show(event, head + tr("appeals.ask.text", limit=appeal_rules.text_max) + current,
                   _markup(*rows, _nav(tr, "category")))
    elif step == "files":
        await state.set_state(AppealForm.files)
        count = len(data.get("files", []))
        await show(event, head + tr("appeals.ask.files", limit=appeal_rules.max_attachments,
                                    mb=appeal_rules.max_file_bytes // (1024 * 1024))
                   + (("\n" + tr("appeals.files.count", k=count, n=appeal_rules.max_attachments))
                      if count else ""),
                   _files_markup(tr, count))
    elif step == "location":
        await state.set_state(AppealForm.location)
        await show(event, head + tr("appeals.ask.location"),
                   _markup([_button(tr("appeals.location.skip"), "loc_skip")], _nav(tr, "files")))
    elif step == "public":
        # Private unless the author says otherwise: appeals are personal correspondence.
        await state.set_state(AppealForm.public)
        await show(event, head + tr("appeals.ask.public"),
                   _markup([_button(tr("appeals.public.no"), "public", "no")],
                           [_button(tr("appeals.public.yes"), "public", "yes")],
                           _nav(tr, "location")))
    else:
        await _ask_confirm(event, state, tr, session, draft, head, appeal_rules)


def _files_markup(tr: Texts, count: int) -> InlineKeyboardMarkup:
    label = "appeals.files.next" if count else "appeals.files.skip"
    rows = [[_button(tr(label), "files_done")]]
    if count:
        rows.append([_button(tr("appeals.files.clear"), "files_clear")])
    return _markup(*rows, _nav(tr, "text"))


async def _ask_confirm(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                       session: AsyncSession, draft: AppealDraft, head: str,
                       rules: appeals.AppealRules) -> None:
    data = draft.data or {}
    if not data.get("dups_seen"):
        similar = await appeals.offer_duplicates(session, rules, draft)
        await session.commit()  # the offer is remembered before the resident can press it
        if similar:
            await state.set_state(AppealForm.confirm)
            lines = [_duplicate_line(tr, view) for view in similar]
            rows = [[_button(tr("appeals.dups.support", number=v.number), "support", id=v.id)]
                    for v in similar]
            rows.append([_button(tr("appeals.dups.continue"), "dups_ok")])
            await show(event, head + tr("appeals.dups.title") + "\n\n" + Raw("\n\n".join(lines)),
                       _markup(*rows, _nav(tr, "public")))
            return
    await state.set_state(AppealForm.confirm)
    if data.get("lat") is not None:
        place = tr("appeals.summary.point", lat=f"{data['lat']:.5f}", lon=f"{data['lon']:.5f}")
    elif data.get("address"):
        place = data["address"]
    else:
        place = tr("appeals.summary.no_place")
    resident = await session.get(Resident, draft.resident_id)
    summary = tr(
        "appeals.summary",
        type=appeals.type_label(tr, data.get("type", "")),
        category=appeals.category_label(tr, data.get("category", "")),
        text=data.get("text", ""),
        files=len(data.get("files", [])),
        place=place,
        name=resident.full_name if resident else "",
        address=resident.address if resident else "",
        days=rules.answer_days,
        visibility=tr("appeals.summary.public" if data.get("public")
                      else "appeals.summary.private"),
    )
    # The button carries the draft's version: what is registered is what this summary showed.
    await show(event, head + summary,
               _markup([_button(tr("appeals.submit"), "submit", id=draft.version)],
                       _nav(tr, "public")))


def _duplicate_line(tr: Texts, view: appeals.AppealView) -> str:
    """A suggested duplicate: only what `appeals.view_for` lets this resident see."""
    line = tr("appeals.dups.item", number=view.number, date=format_date(view.registered_at),
              category=appeals.category_label(tr, view.category))
    if view.street:
        line += "\n" + tr("appeals.dups.street", street=view.street)
    if view.text:
        line += "\n" + tr("appeals.dups.text", text=_snippet(view.text))
    return line


async def _draft(session: AsyncSession, resident: Resident | None) -> AppealDraft:
    if resident is None:
        raise InvalidInput("appeals.error.no_draft")
    draft = await appeals.get_draft(session, resident.id)
    if draft is None:
        raise InvalidInput("appeals.error.no_draft")
    return draft


async def _goto(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                session: AsyncSession, resident: Resident | None, appeal_rules: AppealRules,
                step: str, **values: Any) -> None:
    if resident is None:
        raise InvalidInput("appeals.error.no_draft")
    draft = await appeals.update_draft(session, resident.id, step, **values)
    await session.commit()  # before talking to Telegram: never hold the write lock over HTTP
    await _ask(event, state, tr, session, draft, appeal_rules)


@router.callback_query(AppealCB.filter(F.action == "back"))
async def back(query: CallbackQuery, callback_data: AppealCB, state: FSMContext, tr: Texts,
               session: AsyncSession, resident: Resident | None, appeal_rules: AppealRules) -> None:
    step = callback_data.value if callback_data.value in STEP_NUMBERS else "type"
    await _goto(query, state, tr, session, resident, appeal_rules, step)


# --- step 1 and 2: type and category ------------------------------------------------------


@router.callback_query(AppealCB.filter(F.action == "type"))
async def choose_type(query: CallbackQuery, callback_data: AppealCB, state: FSMContext,
                      tr: Texts, session: AsyncSession, resident: Resident | None,
                      appeal_rules: AppealRules) -> None:
    kind = appeals.validate_type(callback_data.value)
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "category", type=kind.value)


@router.callback_query(AppealCB.filter(F.action == "cat"))
async def choose_category(query: CallbackQuery, callback_data: AppealCB, state: FSMContext,
                          tr: Texts, session: AsyncSession, resident: Resident | None,
                          appeal_rules: AppealRules) -> None:
    category = appeals.validate_category(appeal_rules, callback_data.value)
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules,
                "text", category=category, dups_seen=None)


@router.message(StateFilter(AppealForm.type, AppealForm.category, AppealForm.public,
                            AppealForm.confirm))
async def expected_button(message: Message, state: FSMContext, tr: Texts,
                          session: AsyncSession, resident: Resident | None,
                          appeal_rules: AppealRules) -> None:
    """Typed text where a button is expected: say so and ask the same question again."""
    draft = await _draft(session, resident)
    await _ask(message, state, tr, session, draft, appeal_rules, tr("appeals.use_buttons"))


# --- step 3: text ------------------------------------------------------------------------


@router.message(StateFilter(AppealForm.text), F.text)
async def enter_text(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                     resident: Resident | None, appeal_rules: AppealRules) -> None:
    draft = await _draft(session, resident)
    try:
        text = appeals.validate_text(appeal_rules, message.text)
    except InvalidInput as err:
        await _ask(message, state, tr, session, draft, appeal_rules,
                   tr(err.message_key, **err.params))
        return
    await _goto(message, state, tr, session, resident, appeal_rules, "files", text=text,
                dups_seen=None)


@router.callback_query(AppealCB.filter(F.action == "keep_text"))
async def keep_text(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                    resident: Resident | None, appeal_rules: AppealRules) -> None:
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "files")


@router.message(StateFilter(AppealForm.text))
async def text_not_text(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        resident: Resident | None, appeal_rules: AppealRules) -> None:
    draft = await _draft(session, resident)
    await _ask(message, state, tr, session, draft, appeal_rules, tr("appeals.error.text_not_text"))


# --- step 4: photos and documents --------------------------------------------------------


def _file_info(message: Message) -> appeals.FileInfo | None:
    if message.photo:
        biggest = message.photo[-1]
        return appeals.FileInfo(biggest.file_id, AttachmentKind.PHOTO, "image/jpeg",
                                biggest.file_size)
    if message.document:
        doc = message.document
        return appeals.FileInfo(doc.file_id, AttachmentKind.DOCUMENT, doc.mime_type,
                                doc.file_size)
    return None


@router.message(StateFilter(AppealForm.files), F.photo | F.document)
async def add_file(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                   resident: Resident | None, appeal_rules: AppealRules) -> None:
    info = _file_info(message)
    if resident is None or info is None:
        raise InvalidInput("appeals.error.no_draft")
    try:
        draft, accepted = await appeals.add_draft_file(session, appeal_rules, resident.id, info)
        await session.commit()
    except InvalidInput as err:
        draft = await _draft(session, resident)
        await _ask(message, state, tr, session, draft, appeal_rules,
                   tr(err.message_key, **err.params))
        return
    count = len((draft.data or {}).get("files", []))
    if not accepted:
        # An album arrives as separate messages sharing media_group_id: say it once per album.
        group = message.media_group_id or f"single:{message.message_id}"
        warned = list((await state.get_data()).get("appeal_warned", []))
        if message.media_group_id and group in warned:
            return
        await state.update_data(appeal_warned=[*warned, group][-20:])
        await message.answer(tr("appeals.files.limit", n=appeal_rules.max_attachments),
                             reply_markup=_files_markup(tr, count))
        return
    await message.answer(tr("appeals.files.count", k=count, n=appeal_rules.max_attachments),
                         reply_markup=_files_markup(tr, count))


@router.message(StateFilter(AppealForm.files))
async def files_other(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                      resident: Resident | None, appeal_rules: AppealRules) -> None:
    draft = await _draft(session, resident)
    await _ask(message, state, tr, session, draft, appeal_rules, tr("appeals.files.expected"))


@router.callback_query(AppealCB.filter(F.action == "files_clear"))
async def files_clear(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                      resident: Resident | None, appeal_rules: AppealRules) -> None:
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "files", files=[])


@router.callback_query(AppealCB.filter(F.action == "files_done"))
async def files_done(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                     resident: Resident | None, appeal_rules: AppealRules) -> None:
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "location")


# --- step 5: location --------------------------------------------------------------------


@router.message(StateFilter(AppealForm.location, AppealForm.location_confirm), F.location)
async def enter_location(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                         resident: Resident | None, appeal_rules: AppealRules) -> None:
    assert message.location is not None
    lat, lon = appeals.validate_location(message.location.latitude, message.location.longitude)
    await _draft(session, resident)
    if not appeal_rules.in_city(lat, lon):
        assert resident is not None  # _draft found the resident's draft
        await appeals.update_draft(session, resident.id, "location", pending_point=[lat, lon])
        await session.commit()
        await state.set_state(AppealForm.location_confirm)
        await message.answer(
            tr("appeals.location.outside"),
            reply_markup=_markup([_button(tr("appeals.location.use_anyway"), "loc_ok")],
                                 [_button(tr("appeals.location.another"), "back", "location")],
                                 [_button(tr("common.cancel"), "cancel")]),
        )
        return
    await _goto(message, state, tr, session, resident, appeal_rules, "public", lat=lat, lon=lon,
                address=None, dups_seen=None)


@router.callback_query(AppealCB.filter(F.action == "loc_ok"))
async def location_confirmed(query: CallbackQuery, state: FSMContext, tr: Texts,
                             session: AsyncSession, resident: Resident | None,
                             appeal_rules: AppealRules) -> None:
    point = (await _draft(session, resident)).data.get("pending_point")
    if not point:
        await _goto(query, state, tr, session, resident, appeal_rules, "location")
        return
    await _goto(query, state, tr, session, resident, appeal_rules,
                "public", lat=point[0], lon=point[1], pending_point=None,
                address=None, dups_seen=None)


@router.message(StateFilter(AppealForm.location, AppealForm.location_confirm), F.text)
async def enter_address(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        resident: Resident | None, appeal_rules: AppealRules) -> None:
    draft = await _draft(session, resident)
    try:
        address = appeals.validate_address(appeal_rules, message.text)
    except InvalidInput as err:
        await _ask(message, state, tr, session, draft, appeal_rules,
                   tr(err.message_key, **err.params))
        return
    await _goto(message, state, tr, session, resident, appeal_rules,
                "public", address=address, lat=None,
                lon=None, dups_seen=None)


@router.message(StateFilter(AppealForm.location, AppealForm.location_confirm))
async def location_other(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                         resident: Resident | None, appeal_rules: AppealRules) -> None:
    draft = await _draft(session, resident)
    await _ask(message, state, tr, session, draft, appeal_rules, tr("appeals.location.expected"))


@router.callback_query(AppealCB.filter(F.action == "loc_skip"))
async def location_skip(query: CallbackQuery, state: FSMContext, tr: Texts,
                        session: AsyncSession, resident: Resident | None,
                        appeal_rules: AppealRules) -> None:
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "public", lat=None, lon=None,
                address=None, dups_seen=None)


# --- step 6: who may read the appeal -----------------------------------------------------


@router.callback_query(AppealCB.filter(F.action == "public"))
async def choose_public(query: CallbackQuery, callback_data: AppealCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, resident: Resident | None,
                        appeal_rules: AppealRules) -> None:
    if callback_data.value not in ("yes", "no"):
        raise InvalidInput("appeals.use_buttons")
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "confirm",
                public=True if callback_data.value == "yes" else None)


# --- step 7: duplicates, confirmation, submit --------------------------------------------


@router.callback_query(AppealCB.filter(F.action == "dups_ok"))
async def duplicates_seen(query: CallbackQuery, state: FSMContext, tr: Texts,
                          session: AsyncSession, resident: Resident | None,
                          appeal_rules: AppealRules) -> None:
    await _draft(session, resident)
    await _goto(query, state, tr, session, resident, appeal_rules, "confirm", dups_seen=True)


@router.callback_query(AppealCB.filter(F.action == "support"))
async def support_instead(query: CallbackQuery, callback_data: AppealCB, state: FSMContext,
                          tr: Texts, session: AsyncSession, resident: Resident | None) -> None:
    appeal = await appeals.add_support(session, callback_data.id, resident)
    await session.commit()
    await state.set_state(None)
    await show(query, tr("appeals.supported", number=appeal.number),
               _markup([_button(tr("appeals.section.mine"), "list")], [menu_button(tr)]))


@router.callback_query(AppealCB.filter(F.action == "submit"))
async def submit(query: CallbackQuery, callback_data: AppealCB, state: FSMContext, tr: Texts,
                 session: AsyncSession, resident: Resident | None,
                 appeal_rules: AppealRules) -> None:
    try:
        appeal = await appeals.submit_draft(session, appeal_rules, resident,
                                            version=callback_data.id or None)
    except Conflict as err:
        if err.message_key != drafts.CHANGED:
            await state.set_state(None)  # submitted already (from another account, say)
            raise  # the error handler tells the person so; nothing of this press is kept
        # Changed from the person's other account since this summary: show what is there now
        # (nothing was written; committing ends the transaction before talking to Telegram).
        await session.commit()
        draft = await _draft(session, resident)
        await _ask(query, state, tr, session, draft, appeal_rules, tr(err.message_key))
        return
    await session.commit()
    await state.set_state(None)
    await show(query, tr("appeals.registered", number=appeal.number,
                         date=format_date(appeal.registered_at),
                         deadline=format_date(appeal.deadline)),
               _markup([_button(tr("appeals.open_card"), "card", id=appeal.id)],
                       [_button(tr("appeals.section.mine"), "list")], [menu_button(tr)]))


# --- my appeals --------------------------------------------------------------------------


@router.callback_query(AppealCB.filter(F.action == "list"))
async def my_list(query: CallbackQuery, callback_data: AppealCB, state: FSMContext, tr: Texts,
                  session: AsyncSession, resident: Resident | None) -> None:
    await state.set_state(None)
    if resident is None:
        await show(query, tr("appeals.list.empty"), _markup([menu_button(tr)]))
        return
    page = await appeals.my_appeals(session, resident.id, callback_data.page, PER_PAGE)
    if not page.total:
        await show(query, tr("appeals.list.empty"),
                   _markup([_button(tr("appeals.section.new"), "new")],
                           [_button(tr("common.back"), "section")]))
        return
    rows = [[_button(status_line(tr, a), "card", id=a.id, page=page.page)] for a in page.items]
    pager = []
    if page.page > 0:
        pager.append(_button(tr("appeals.prev"), "list", page=page.page - 1))
    if page.page + 1 < page.pages:
        pager.append(_button(tr("appeals.next"), "list", page=page.page + 1))
    await show(query,
               tr("appeals.list.title", page=page.page + 1, pages=page.pages)
               + "\n" + tr.plural("appeals.count", page.total),
               _markup(*rows, pager, [_button(tr("common.back"), "section")]))


def history_lines(tr: Texts, events: Sequence[appeals.HistoryEntry | AppealEvent]) -> str:
    """The history of a card; a reason appears only where the viewer may read it."""
    lines = []
    for e in events:
        line = tr("appeals.history.item", date=format_datetime(e.created_at),
                  status=appeals.status_label(tr, e.status))
        if e.status == "extended" and e.new_deadline:
            line += tr("appeals.history.new_deadline", deadline=format_date(e.new_deadline))
        if e.department:
            line += tr("appeals.history.department",
                       department=appeals.department_label(tr, e.department))
        if e.reason:
            line += tr("appeals.history.reason", reason=_snippet(e.reason, 300))
        lines.append(line)
    return "\n".join(lines)


@router.callback_query(AppealCB.filter(F.action == "card"))
async def my_card(query: CallbackQuery, callback_data: AppealCB, tr: Texts,
                  session: AsyncSession, resident: Resident | None) -> None:
    if resident is None:
        raise InvalidInput("appeals.error.not_found")
    view = await appeals.card_for(session, callback_data.id, resident.id)
    text = tr(
        "appeals.card",
        number=view.number,
        type=appeals.type_label(tr, view.type or ""),
        category=appeals.category_label(tr, view.category),
        date=format_date(view.registered_at),
        status=appeals.status_label(tr, view.status or ""),
        deadline=format_date(view.deadline) if view.deadline else "—",
    )
    place = view.place or view.street
    if place:
        text += "\n" + tr("appeals.card.place", place=place)
    if view.text:
        text += "\n\n" + tr("appeals.card.text", text=_snippet(view.text, 800))
    if view.audience is appeals.Audience.SUPPORTER:
        text += "\n\n" + tr("appeals.card.supporting")
        if not view.is_public:
            text += "\n" + tr("appeals.card.private")
    if view.answer:
        text += "\n\n" + tr("appeals.card.answer", answer=_snippet(view.answer, 1500))
    text += "\n\n" + tr("appeals.card.history") + "\n" + Raw(history_lines(tr, view.history))
    await show(query, text,
               _markup([_button(tr("common.back"), "list", page=callback_data.page)],
                       [menu_button(tr)]))


# --- the follow-up question --------------------------------------------------------------


def _rating_markup(appeal_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="⭐" * score if score <= 1 else f"{score} ⭐",
                             callback_data=RateCB(appeal_id=appeal_id, score=score).pack())
        for score in range(1, 6)
    ]])


@router.callback_query(FollowupCB.filter(F.answer == "yes"))
async def followup_yes(query: CallbackQuery, callback_data: FollowupCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, resident: Resident | None,
                       appeal_rules: AppealRules) -> None:
    if resident is None:
        raise InvalidInput("appeals.error.not_found")
    appeal = await appeals.followup_reply(session, appeal_rules, resident,
                                          callback_data.appeal_id, resolved=True)
    await session.commit()
    await state.set_state(None)
    await show(query, tr("appeals.followup.thanks_yes", number=appeal.number)
               + "\n\n" + tr("appeals.followup.rate"), _rating_markup(appeal.id))


@router.callback_query(FollowupCB.filter(F.answer == "no"))
async def followup_no(query: CallbackQuery, callback_data: FollowupCB, state: FSMContext,
                      tr: Texts, session: AsyncSession, resident: Resident | None) -> None:
    if resident is None:
        raise InvalidInput("appeals.error.not_found")
    appeal = await appeals.get(session, callback_data.appeal_id)
    if appeal.author_id != resident.id:
        raise InvalidInput("appeals.error.not_found")
    if appeal.followup_answered_at is not None or appeal.status != "answered":
        raise InvalidInput("appeals.error.followup_done", number=appeal.number)
    await state.set_state(FollowupForm.comment)
    await state.update_data(followup_appeal=appeal.id)
    await show(query, tr("appeals.followup.ask_comment", number=appeal.number),
               _markup([_button(tr("common.cancel"), "section")]))


@router.message(StateFilter(FollowupForm.comment), F.text)
async def followup_comment(message: Message, state: FSMContext, tr: Texts,
                           session: AsyncSession, resident: Resident | None,
                           appeal_rules: AppealRules) -> None:
    appeal_id = (await state.get_data()).get("followup_appeal")
    if resident is None or not appeal_id:
        await state.set_state(None)
        raise InvalidInput("appeals.error.not_found")
    try:
        appeal = await appeals.followup_reply(session, appeal_rules, resident,
                                              int(appeal_id), resolved=False,
                                              comment=message.text)
    except InvalidInput as err:
        number = (await appeals.get(session, int(appeal_id))).number
        await message.answer(tr(err.message_key, **err.params) + "\n"
                             + tr("appeals.followup.ask_comment", number=number))
        return
    await session.commit()
    await state.set_state(None)
    await message.answer(tr("appeals.followup.thanks_no", number=appeal.number)
                         + "\n\n" + tr("appeals.followup.rate"),
                         reply_markup=_rating_markup(appeal.id))


@router.message(StateFilter(FollowupForm.comment))
async def followup_comment_not_text(message: Message, state: FSMContext, tr: Texts,
                                    session: AsyncSession) -> None:
    """A sticker or photo instead of the comment: the reason, then the same question again."""
    appeal_id = (await state.get_data()).get("followup_appeal")
    if not appeal_id:
        await state.set_state(None)
        raise InvalidInput("appeals.error.not_found")
    number = (await appeals.get(session, int(appeal_id))).number
    await message.answer(tr("appeals.error.reason_empty") + "\n"
                         + tr("appeals.followup.ask_comment", number=number),
                         reply_markup=_markup([_button(tr("common.cancel"), "section")]))


@router.callback_query(RateCB.filter())
async def rate(query: CallbackQuery, callback_data: RateCB, tr: Texts, session: AsyncSession,
               resident: Resident | None) -> None:
    if resident is None:
        raise InvalidInput("appeals.error.not_found")
    appeal = await appeals.rate(session, resident, callback_data.appeal_id, callback_data.score)
    await session.commit()
    await show(query, tr("appeals.followup.rated", number=appeal.number,
                         score=callback_data.score),
               _markup([_button(tr("appeals.section.mine"), "list")], [menu_button(tr)]))


__all__ = ["AppealCB", "FollowupCB", "RateCB", "router"]
