"""Filing an appeal, on the one wizard: type → category → text → files → location → who may
read it → (possible duplicates, once) → summary → submit.

Every answer is kept in the draft in the database (services/appeals/drafts.py), so a restart
or walking away loses nothing: the section offers to go on with it or to drop it. Nothing is
registered before "Submit". Art. 8: the profile (name, address) comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import screens
from handlers.appeals.actions import SectionAction
from handlers.appeals.callbacks import FILING_WIZARD, RESIDENT, SectionCB, SupportCB
from handlers.kit.aiogram_wizard import Event, WizardRouter
from handlers.kit.screen import Rows
from handlers.kit.show import show
from handlers.kit.wizard import Answer, Asking, Check, Confirm, Labels, Notice, Step, Turn, Wizard
from handlers.profile import on_resume, require_profile
from services import appeals
from services.appeals import Appeal, AppealDraft, AppealRules, AppealType, AttachmentKind
from services.drafts import DraftKind
from services.errors import InvalidInput
from services.i18n import Texts
from services.models import Draft, Resident

RESUME = "appeal"  # where onboarding brings the person back: the first question
DUPLICATES_SEEN = "dups_seen"  # the draft key: the duplicates were shown for what it says now


class AppealForm(StatesGroup):
    """One state per step (names kept: dialog states already stored stay valid)."""

    type = State()
    category = State()
    text = State()
    files = State()
    location = State()
    public = State()
    confirm = State()


Ask = Asking[AppealRules]


def _changes_what_it_says(key: str) -> Callable[[Any], Mapping[str, Any]]:
    """A step whose new value may have new duplicates: they are offered again."""
    return lambda value: {key: value, DUPLICATES_SEEN: None}


def _parse_type(_rules: AppealRules, answer: Answer) -> str:
    return appeals.validate_type(answer.text or "").value


def _parse_category(rules: AppealRules, answer: Answer) -> str:
    return appeals.validate_category(rules, answer.text or "")


def _parse_text(rules: AppealRules, answer: Answer) -> str:
    return appeals.validate_text(rules, answer.text)


def _file_of(answer: Answer) -> appeals.FileInfo:
    if answer.file_id is None or answer.file_kind is None:
        raise InvalidInput("appeals.files.expected")
    return appeals.FileInfo(answer.file_id, AttachmentKind(answer.file_kind.value), answer.mime,
                            answer.size)


async def _add_file(turn: Turn[AppealRules], answer: Answer) -> str | None:
    """A photo or document for the files step; what to say back (an album is told once)."""
    if turn.resident is None:
        raise InvalidInput(appeals.NO_DRAFT)
    rules, resident_id = turn.rules, turn.resident.id
    draft, accepted = await appeals.add_draft_file(turn.session, rules, resident_id,
                                                   _file_of(answer))
    if accepted:
        return screens.files_count(turn.tr, rules, len((draft.data or {}).get("files", [])))
    if await appeals.tell_file_limit(turn.session, resident_id, answer.album):
        return turn.tr("appeals.files.limit", n=rules.max_attachments)
    return None


def _parse_place(rules: AppealRules, answer: Answer) -> dict[str, Any]:
    """A point (checked against the city, `_outside`) or a typed address."""
    if answer.location is not None:
        lat, lon = appeals.validate_location(*answer.location)
        return {"lat": lat, "lon": lon, "address": None}
    if answer.text is not None:
        return {"address": appeals.validate_address(rules, answer.text), "lat": None,
                "lon": None}
    raise InvalidInput("appeals.location.expected")


def _outside(rules: AppealRules, place: Mapping[str, Any]) -> bool:
    return place.get("lat") is not None and not rules.in_city(place["lat"], place["lon"])


def _store_place(place: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"lat": None, "lon": None, "address": None, **(place or {}), DUPLICATES_SEEN: None}


def _parse_public(_rules: AppealRules, answer: Answer) -> bool | None:
    if answer.text not in ("yes", "no"):
        raise InvalidInput("appeals.use_buttons")
    return True if answer.text == "yes" else None  # private unless chosen: absent


def _public_label(tr: Texts, value: str) -> str:
    return tr(f"appeals.public.{value}")


async def _duplicates(turn: Turn[AppealRules], draft: Draft) -> tuple[str, Rows] | None:
    """Similar open appeals, remembered on the draft: only those can be supported."""
    similar = await appeals.offer_duplicates(turn.session, turn.rules, draft)
    return screens.duplicates(turn.tr, RESIDENT, similar) if similar else None


def _summary(a: Ask) -> str:
    resident = a.resident
    return screens.summary(a.tr, a.rules, a.data, resident.full_name or "" if resident else "",
                           resident.address if resident else "")


async def _begin(turn: Turn[AppealRules]) -> AppealDraft:
    author = appeals.require_author(turn.resident)  # Art. 8: never an anonymous draft
    return await appeals.start_draft(turn.session, author.id)


async def _submit(turn: Turn[AppealRules], version: int | None) -> Appeal:
    return await appeals.submit_draft(turn.session, turn.rules, turn.resident, version=version)


wizard: Wizard[AppealRules] = Wizard(
    name=FILING_WIZARD,
    kind=DraftKind.APPEAL,
    rules=AppealRules,
    steps=(
        Step("type", lambda a: screens.ask_type(a.tr), parse=_parse_type,
             options=lambda rules: tuple(t.value for t in AppealType),
             option_label=appeals.type_label),
        Step("category", lambda a: screens.ask_category(a.tr), parse=_parse_category,
             options=lambda rules: rules.categories, option_label=appeals.category_label,
             width=2, fields=_changes_what_it_says("category")),
        Step("text", lambda a: screens.ask_text(a.tr, a.rules, a.data), parse=_parse_text,
             fields=_changes_what_it_says("text"),
             keep=lambda a: "appeals.keep_text" if a.data.get("text") else ""),
        Step("files", lambda a: screens.ask_files(a.tr, a.rules, a.data), collect=_add_file,
             keep=lambda a: "appeals.files.next" if a.data.get("files")
             else "appeals.files.skip",
             clear="appeals.files.clear"),
        Step("location", lambda a: screens.ask_location(a.tr), parse=_parse_place,
             skip="appeals.location.skip", fields=_store_place,
             check=Check(_outside, question="appeals.location.outside",
                         yes="appeals.location.use_anyway", again="appeals.location.another")),
        Step("public", lambda a: screens.ask_public(a.tr), parse=_parse_public,
             options=lambda rules: ("no", "yes"), option_label=_public_label),
    ),
    confirm=Confirm("confirm", _summary, submit=_submit,
                    done=lambda a, appeal: screens.registered(a.tr, RESIDENT, appeal),
                    notice=Notice(DUPLICATES_SEEN, _duplicates, go_on="appeals.dups.continue")),
    progress=lambda tr, k, n: tr("appeals.step", k=k, n=n),
    labels=Labels(cancel="common.cancel", submit="appeals.submit",
                  use_buttons="appeals.use_buttons", stale=appeals.NO_DRAFT, back="common.back"),
    cancelled=lambda a: screens.discarded(a.tr, RESIDENT),
    begin=_begin,
    leave=RESIDENT.section(),
)


def step_at(draft: Draft, rules: AppealRules) -> tuple[int, int]:
    """(k, n) of the step the draft is at, for "continue (step k of n)"."""
    active = wizard.active(rules)
    return wizard.number(draft.step if draft.step in active else active[0], rules)


async def _profile_first(event: Event, state: FSMContext, resident: Resident | None,
                         tr: Texts, resume: str, data: Mapping[str, Any]) -> Resident | None:
    return await require_profile(event, state, resident, tr, resume=resume,
                                 profile=data["profile_rules"])


def _binding() -> WizardRouter[AppealRules]:
    return WizardRouter(wizard, AppealForm, gate=_profile_first, resume=RESUME)


# Turns for the entrances below and after onboarding (each dispatcher gets its own router).
_turns = _binding()


@on_resume(RESUME)
async def _after_onboarding(message: Message, resident: Resident, tr: Texts,
                            **data: Any) -> None:
    """Onboarding is done: straight on to filing (or to the draft there is)."""
    await wizard.resume(_turns.turn(message, {**data, "resident": resident, "tr": tr}))


async def new_appeal(query: CallbackQuery, **data: Any) -> None:
    """A new appeal: the profile first; an unfinished draft is offered before starting over."""
    tr: Texts = data["tr"]
    resident: Resident | None = data.get("resident")
    if resident is None or not resident.is_complete:
        # Art. 8: the law does not consider anonymous appeals, so the profile comes first.
        if isinstance(query.message, Message):
            await query.message.answer(tr("appeals.profile_needed"))
        await require_profile(query, data["state"], resident, tr, resume=RESUME,
                              profile=data["profile_rules"])
        return
    draft = await appeals.get_draft(data["session"], resident.id)
    if draft is not None:
        await show(query, screens.draft_exists(tr, RESIDENT,
                                               *step_at(draft, data["appeal_rules"])))
        return
    await wizard.start(_turns.turn(query, data))


async def resume_draft(query: CallbackQuery, **data: Any) -> None:
    """Go on with the draft where it stands (from any of the person's accounts)."""
    author = await require_profile(query, data["state"], data.get("resident"), data["tr"],
                                   resume=RESUME, profile=data["profile_rules"])
    if author is not None:
        await wizard.resume(_turns.turn(query, {**data, "resident": author}))


async def support_instead(query: CallbackQuery, callback_data: SupportCB, state: FSMContext,
                          tr: Texts, session: AsyncSession, resident: Resident | None) -> None:
    """Back an offered duplicate: nothing is filed, the draft is gone."""
    appeal = await appeals.add_support(session, callback_data.appeal_id, resident)
    await session.commit()
    await state.set_state(None)
    await show(query, screens.supported(tr, RESIDENT, appeal.number))


def router() -> Router:
    """The filing dialog: its entrances, the duplicates' support buttons, the wizard."""
    filing = _binding().router
    filing.callback_query.register(new_appeal, SectionCB.filter(F.action == SectionAction.NEW))
    filing.callback_query.register(resume_draft,
                                   SectionCB.filter(F.action == SectionAction.RESUME))
    filing.callback_query.register(support_instead, SupportCB.filter())
    return filing
