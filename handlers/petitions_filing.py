"""Filing a petition: the wizard title → text → category (if the council has any) → preview.

What the resident typed lives in the database draft, not in the FSM data: a restart in the
middle of the dialog loses nothing. Nothing is filed before "Submit".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from handlers.kit.aiogram_wizard import Event, WizardRouter
from handlers.kit.screen import Button, Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from handlers.menu import MenuCB
from handlers.onboarding import on_resume, require_profile
from handlers.petitions import FILING_WIZARD, PetListCB, section_rows, section_text
from services import petitions
from services.drafts import DraftKind
from services.i18n import Texts
from services.models import Draft, Petition, Resident
from services.petitions import ListKind, PetitionRules


class PetitionCreate(StatesGroup):
    title = State()
    text = State()
    category = State()
    preview = State()


Ask = Asking[PetitionRules]


def _ask_title(a: Ask) -> str:
    return a.tr("petition.new.ask_title", min=a.rules.title_min, max=a.rules.title_max)


def _ask_text(a: Ask) -> str:
    return a.tr("petition.new.ask_text", min=a.rules.text_min, max=a.rules.text_max)


def _ask_category(a: Ask) -> str:
    return a.tr("petition.new.ask_category")


def _preview(a: Ask) -> str:
    parts = [
        a.tr("petition.new.preview"),
        "",
        a.tr("petition.card.heading", title=a.data.get("title", "")),
        a.tr("petition.card.author", name=(a.resident.full_name if a.resident else "") or ""),
    ]
    if a.data.get("category"):
        parts.append(a.tr("petition.card.category", category=a.data["category"]))
    parts += ["", a.tr("petition.card.body", text=a.data.get("text", ""))]
    return "\n".join(parts)


async def _begin(turn: Turn[PetitionRules]) -> Draft:
    """Only an author who may file now (complete profile, under the pending limit) starts."""
    return await petitions.start_draft(turn.session, turn.rules, turn.resident)


async def _submit(turn: Turn[PetitionRules], version: int | None) -> Petition:
    return await petitions.submit_draft(turn.session, turn.rules, turn.resident,
                                        version=version)


def _submitted(a: Ask, petition: Petition) -> Screen:
    return Screen(a.tr("petition.new.submitted", title=petition.title), (
        (Button(a.tr("petition.btn.list_mine"), PetListCB(kind=ListKind.MINE.value)),),
        (Button(a.tr("petition.btn.back_section"), MenuCB(section="petitions")),),
        (Button(a.tr("menu.back_to_menu"), MenuCB(section="main")),),
    ))


def _cancelled(a: Ask) -> Screen:
    return Screen(a.tr("petition.new.cancelled") + "\n\n" + section_text(a.tr, a.rules),
                  section_rows(a.tr))


def _parse_title(rules: PetitionRules, answer: Answer) -> str:
    return petitions.validate_title(answer.text, rules)


def _parse_text(rules: PetitionRules, answer: Answer) -> str:
    return petitions.validate_text(answer.text, rules)


def _parse_category(rules: PetitionRules, answer: Answer) -> str | None:
    return petitions.validate_category(answer.text, rules)


wizard: Wizard[PetitionRules] = Wizard(
    name=FILING_WIZARD,
    kind=DraftKind.PETITION,
    rules=PetitionRules,
    steps=(
        Step("title", _ask_title, parse=_parse_title),
        Step("text", _ask_text, parse=_parse_text),
        Step("category", _ask_category, parse=_parse_category,
             options=lambda rules: rules.categories, skip="petition.btn.no_category",
             typed_reason="petition.error.category", when=petitions.asks_category),
    ),
    confirm=Confirm("preview", _preview, submit=_submit, done=_submitted),
    progress=lambda tr, k, n: tr("petition.new.step", n=k, total=n),
    labels=Labels(cancel="petition.btn.cancel", submit="petition.btn.submit",
                  restart="petition.btn.restart", use_buttons="petition.new.use_buttons",
                  stale=petitions.NO_DRAFT),
    cancelled=_cancelled,
    begin=_begin,
)


async def _profile_first(event: Event, state: FSMContext, resident: Resident | None,
                         tr: Texts, resume: str, data: Mapping[str, Any]) -> Resident | None:
    return await require_profile(event, state, resident, tr, resume=resume,
                                 profile=data["profile_rules"])


filing = WizardRouter(wizard, PetitionCreate, gate=_profile_first, resume="petition_new")
router = filing.router
on_resume("petition_new")(filing.resume)
