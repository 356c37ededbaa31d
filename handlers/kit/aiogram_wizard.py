"""A Wizard (handlers/kit/wizard.py) on aiogram: its router, FSM states and resume handler.

``WizardRouter(wizard, States, gate=..., resume="petition_new")`` maps each step to the
state of that name in `States` (an aiogram StatesGroup, so dialog states already stored keep
their names), declares the states as the draft's dialog, and answers:

- typed messages (commands excepted) in any of the states: the answer to the step the
  account is at;
- the wizard's buttons (WizardCB with its name): start (again), cancel at any time; a step's
  option / suggestion / skip / back and the summary's submit only at that step, else "no
  longer works".

`gate(event, state, resident, tr, resume, data)` returns the resident who may start, or None
after it has sent them to complete the profile (onboarding then calls `resume`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.kit.dialogs import register_dialog
from handlers.kit.screen import MediaKind, Screen
from handlers.kit.show import Shown, show
from handlers.kit.wizard import Answer, Turn, Wizard
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from services.accounts import Account
from services.errors import DomainError
from services.i18n import Texts
from services.models import Resident
from services.sections import section_name

R = TypeVar("R")
Event = Message | CallbackQuery
Gate = Callable[[Event, FSMContext, "Resident | None", Texts, str, Mapping[str, Any]],
                Awaitable["Resident | None"]]


@dataclass(slots=True)
class AiogramDialog:
    """The wizard's Dialog for one update: the FSM state, the messenger account it came from
    and the message shown (`shown`, the last one, for a feature that goes on editing it)."""

    event: Event
    state: FSMContext
    states: Mapping[str, State]
    shown: Shown | None = None
    account: Account | None = None

    async def enter(self, step: str | None) -> None:
        await self.state.set_state(self.states[step] if step is not None else None)

    async def show(self, screen: Screen) -> None:
        self.shown = await show(self.event, screen)


def answer_of(message: Message) -> Answer:
    location = (message.location.latitude, message.location.longitude) \
        if message.location else None
    answer = Answer(text=message.text, location=location, album=message.media_group_id,
                    caption=message.caption)
    if message.photo:  # the largest size; Telegram sends photos as JPEG
        photo = message.photo[-1]
        return replace(answer, file_id=photo.file_id, file_kind=MediaKind.PHOTO,
                       mime="image/jpeg", size=photo.file_size)
    if message.document:
        doc = message.document
        return replace(answer, file_id=doc.file_id, file_kind=MediaKind.DOCUMENT,
                       mime=doc.mime_type, size=doc.file_size)
    return answer


class WizardRouter(Generic[R]):
    def __init__(self, wizard: Wizard[R], states: type[Any], *, gate: Gate | None = None,
                 resume: str = "") -> None:
        self.wizard = wizard
        self.gate = gate
        self.resume_key = resume
        try:
            self.states: dict[str, State] = {name: getattr(states, name)
                                             for name in wizard.step_names}
        except AttributeError as exc:
            raise ValueError(f"wizard {wizard.name}: every step needs a state: {exc}") from None
        self._steps = {state.state: name for name, state in self.states.items()}
        register_dialog(wizard.kind, *self.states.values())
        self.router = Router(name=f"wizard-{wizard.name}")
        self.router.message.register(self._typed, StateFilter(*self.states.values()),
                                     ~F.text.startswith("/"))
        self.router.callback_query.register(self._pressed,
                                            WizardCB.filter(F.wizard == wizard.name))

    def turn(self, event: Event, data: dict[str, Any]) -> Turn[R]:
        """The wizard's view of an update from the handler data the dispatcher gives."""
        state: FSMContext = data["state"]
        return Turn(session=data["session"], tr=data["tr"],
                    rules=data[section_name(self.wizard.rules)],
                    resident=data.get("resident"), actor=data.get("actor", ""),
                    dialog=AiogramDialog(event, state, self.states,
                                         account=data.get("account")))

    async def _typed(self, message: Message, **data: Any) -> None:
        current = await data["state"].get_state()
        await self.wizard.answer(self.turn(message, data), self._steps[current],
                                 answer_of(message))

    async def _pressed(self, query: CallbackQuery, callback_data: WizardCB,
                       callback_answer: CallbackAnswer, **data: Any) -> None:
        action, wizard = callback_data.action, self.wizard
        if action is WizardAction.START:
            await self.start(query, data)
            return
        turn = self.turn(query, data)
        if action is WizardAction.CANCEL:
            await wizard.cancel(turn)
            return
        at = self._steps.get(await data["state"].get_state() or "")
        step = wizard.confirm.name if action is WizardAction.SUBMIT else callback_data.step
        if at is None or at != step:
            # A button of a step the dialog has left (or a dialog that is over).
            callback_answer.text = data["tr"](wizard.labels.stale)
            callback_answer.show_alert = True
            return
        if action is WizardAction.PICK:
            await wizard.pick(turn, step, callback_data.option)
        elif action is WizardAction.SUGGEST:
            await wizard.suggest(turn, step, callback_data.option)
        elif action is WizardAction.SUBMIT:
            await wizard.submit(turn, callback_data.version or None)
        else:
            await {WizardAction.SKIP: wizard.skip, WizardAction.BACK: wizard.back,
                   WizardAction.KEEP: wizard.keep, WizardAction.CLEAR: wizard.clear,
                   WizardAction.CONFIRM: wizard.confirm_pending,
                   WizardAction.AGAIN: wizard.again}[action](turn, step)

    async def start(self, event: Event, data: dict[str, Any],
                    context: Mapping[str, Any] | None = None) -> None:
        """Start (or start again) once the person may: the gate first, if any; `context`
        is what the opening button said (Wizard.bind checks it)."""
        resident = data.get("resident")
        if self.gate is not None:
            resident = await self.gate(event, data["state"], resident, data["tr"],
                                       f"{self.resume_key}:", data)
            if resident is None:
                return
        await self.wizard.start(self.turn(event, {**data, "resident": resident}), context)

    async def resume(self, message: Message, resident: Resident, tr: Texts,
                     **data: Any) -> None:
        """After onboarding: the first question (or why the person may not start)."""
        try:
            await self.wizard.start(self.turn(message, {**data, "resident": resident,
                                                        "tr": tr}))
        except DomainError as err:
            await message.answer(tr(err.message_key, **err.params))
