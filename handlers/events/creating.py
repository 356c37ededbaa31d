"""A new event, on the wizard: kind → title → start time → stream link → place, which files it.

What the officer typed lives in the database draft (DraftKind.EVENT), not in the FSM data: a
restart in the middle of the dialog loses nothing. The last answer files the event (there is
no summary); a start time that passed meanwhile sends the officer back to that question.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from handlers.events.callbacks import ACTIONS
from handlers.events.screens import Filed, aborted_screen, created_screen
from handlers.kit.aiogram_wizard import WizardRouter
from handlers.kit.screen import Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from services import events
from services.drafts import DraftKind
from services.events import EventKind, EventRules
from services.i18n import Texts

WIZARD = "event"


class EventForm(StatesGroup):
    kind = State()
    title = State()
    starts_at = State()
    stream_url = State()
    place = State()
    edit = State()  # a new value for one field (handlers/events/admin.py)


Ask = Asking[EventRules]


def _progress(tr: Texts, k: int, n: int) -> str:
    return tr("press.event.step_first" if k == 1 else "press.event.step", n=k, total=n)


def _kind(_rules: EventRules, answer: Answer) -> str:
    return events.parse_kind(answer.text or "").value


def _title(rules: EventRules, answer: Answer) -> str:
    return events.validate_title(answer.text, rules)


def _starts_at(_rules: EventRules, answer: Answer) -> str:
    return events.parse_starts_at(answer.text).isoformat()


def _url(rules: EventRules, answer: Answer) -> str | None:
    return events.validate_url(answer.text, rules)


def _place(rules: EventRules, answer: Answer) -> str | None:
    return events.validate_place(answer.text, rules)


async def _file(turn: Turn[EventRules], version: int | None) -> Filed:
    event = await events.file_draft(turn.session, turn.actor, turn.rules, version=version)
    return Filed(event, await events.told_count(turn.session, event.id),
                 await events.planned_reminders(turn.session, event))


def _created(a: Ask, filed: Filed) -> Screen:
    return created_screen(a.tr, filed, a.rules, ACTIONS)


wizard: Wizard[EventRules] = Wizard(
    name=WIZARD,
    kind=DraftKind.EVENT,
    rules=EventRules,
    steps=(
        Step("kind", lambda a: a.tr("press.event.kind_ask"), parse=_kind,
             options=lambda _rules: [k.value for k in EventKind],
             option_label=lambda tr, value: tr(f"events.kind.{value}"),
             fields=lambda value: {"event_kind": value}),
        Step("title", lambda a: a.tr("press.event.title_ask", limit=a.rules.title_max),
             parse=_title),
        Step("starts_at", lambda a: a.tr("press.event.time_ask", example=events.example_time()),
             parse=_starts_at),
        Step("stream_url", lambda a: a.tr("press.event.url_ask"), parse=_url),
        Step("place", lambda a: a.tr("press.event.place_ask"), parse=_place),
    ),
    confirm=Confirm("filed", lambda a: "", submit=_file, done=_created, at_last_answer=True,
                    retry={"events.time_past": "starts_at"}),
    progress=_progress,
    joiner=" ",
    labels=Labels(cancel="press.event.abort", submit="", use_buttons="press.event.use_buttons",
                  stale="common.stale_button"),
    cancelled=lambda a: aborted_screen(a.tr, ACTIONS),
)


def question(tr: Texts, rules: EventRules, step: str) -> str:
    """A step's question as the dialog asks it ("Step 3 of 5: the start time…")."""
    return wizard.question_screen(Asking(tr, rules, {}), step).text


def router() -> Router:
    """/event_new and the dialog's answers and buttons (press staff: the parent filters)."""
    binding = WizardRouter(wizard, EventForm)

    async def event_new(message: Message, **data: Any) -> None:
        await binding.start(message, data)

    created = Router(name="events-create")
    created.message.register(event_new, Command("event_new"))
    created.include_router(binding.router)
    return created
