"""Filing a petition: the wizard title → text → category (if the council has any) → preview.

What the resident typed lives in the database draft, not in the FSM data: a restart in the
middle of the dialog loses nothing. Nothing is filed before "Submit".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from handlers.kit.aiogram_wizard import Event, WizardRouter
from handlers.kit.screen import Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from handlers.petitions import screens
from handlers.petitions.callbacks import FILING_WIZARD
from handlers.petitions.callbacks import RESIDENT_ACTIONS as ACTIONS
from handlers.profile import on_resume, require_profile
from services import petitions
from services.drafts import DraftKind
from services.i18n import Texts
from services.models import Draft, Petition, Resident
from services.petitions import PetitionRules

# Onboarding started from "create" brings the person back to the first question.
RESUME = "petition_new"


class PetitionCreate(StatesGroup):
    title = State()
    text = State()
    category = State()
    preview = State()


async def _begin(turn: Turn[PetitionRules]) -> Draft:
    """Only an author who may file now (complete profile, under the pending limit) starts."""
    return await petitions.start_draft(turn.session, turn.rules, turn.resident)


async def _submit(turn: Turn[PetitionRules], version: int | None) -> Petition:
    return await petitions.submit_draft(turn.session, turn.rules, turn.resident,
                                        version=version)


def _submitted(a: Asking[PetitionRules], petition: Petition) -> Screen:
    return screens.submitted_screen(a.tr, petition, ACTIONS)


def _cancelled(a: Asking[PetitionRules]) -> Screen:
    return screens.cancelled_screen(a.tr, a.rules, ACTIONS)


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
        Step("title", screens.ask_title, parse=_parse_title),
        Step("text", screens.ask_text, parse=_parse_text),
        Step("category", screens.ask_category, parse=_parse_category,
             options=lambda rules: rules.categories, skip="petition.btn.no_category",
             typed_reason="petition.error.category", when=petitions.asks_category),
    ),
    confirm=Confirm("preview", screens.preview, submit=_submit, done=_submitted),
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


def router() -> Router:
    """The wizard's routes; a finished onboarding resumes at its first question."""
    filing = WizardRouter(wizard, PetitionCreate, gate=_profile_first, resume=RESUME)
    on_resume(RESUME)(filing.resume)
    return filing.router
