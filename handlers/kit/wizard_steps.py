"""The pieces a wizard (handlers/kit/wizard.py) is declared with and works through: the
answer sent at a step, what a screen builder sees, the channel's dialog, one update's turn,
the steps, the summary and the wizard's own labels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.screen import MediaKind, Rows, Screen
from services.i18n import Texts
from services.models import Draft, Resident

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person sent at a step: text, or a picked option's value."""

    text: str | None = None
    file_id: str | None = None
    location: tuple[float, float] | None = None
    caption: str | None = None
    file_kind: MediaKind | None = None  # what `file_id` is


@dataclass(frozen=True, slots=True)
class Asking(Generic[R]):
    """What a screen builder sees: the person's texts, the rules, the draft's values so far."""

    tr: Texts
    rules: R
    data: Mapping[str, Any]
    resident: Resident | None = None


class Dialog(Protocol):
    """The channel's side of one update: where the account stands, and what it is shown."""

    async def enter(self, step: str | None) -> None:
        """The account is now at `step` of the wizard (None: it left the dialog)."""

    async def show(self, screen: Screen) -> None: ...


@dataclass(frozen=True, slots=True)
class Turn(Generic[R]):
    """One update's worth of a wizard: who, under which rules, through which dialog."""

    session: AsyncSession
    tr: Texts
    rules: R
    resident: Resident | None
    actor: str
    dialog: Dialog

    def asking(self, data: Mapping[str, Any] | None = None) -> Asking[R]:
        return Asking(self.tr, self.rules, data or {}, self.resident)


def _always(_rules: Any) -> bool:
    return True


def _as_is(_tr: Texts, value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class Step(Generic[R]):
    """One question. `parse(rules, answer)` turns the answer into the value stored under the
    step's name, or raises InvalidInput. With `options`, the answers are buttons (typing gets
    `typed_reason`); `skip` names a button that leaves the value out; `when` says under which
    rules the step is asked at all; `fields(value)` spreads the value over these draft keys
    (by default it is stored under the step's name)."""

    name: str
    question: Callable[[Asking[R]], str]
    parse: Callable[[R, Answer], Any]
    options: Callable[[R], Sequence[str]] | None = None
    option_label: Callable[[Texts, str], str] = _as_is
    skip: str = ""
    typed_reason: str = ""
    when: Callable[[R], bool] = _always
    width: int = 1
    fields: Callable[[Any], Mapping[str, Any]] | None = None

    def values(self, value: Any) -> Mapping[str, Any]:
        return self.fields(value) if self.fields is not None else {self.name: value}


@dataclass(frozen=True, slots=True)
class Confirm(Generic[R]):
    """The last step: a summary with the submit button. `submit(turn, version)` claims the
    draft and files it (raising Conflict as services.drafts.claim does); `done` is the screen
    after a successful submission. With `at_last_answer` there is no summary: the last
    step's answer files the draft. `prepare(turn, draft)` adds computed values to what the
    summary sees; an InvalidInput it or `submit` raises is shown above the question of step
    `retry[key]` (the draft moved there) or, unmapped, of the step the draft is at."""

    name: str
    summary: Callable[[Asking[R]], str]
    submit: Callable[[Turn[R], int | None], Awaitable[Any]]
    done: Callable[[Asking[R], Any], Screen]
    at_last_answer: bool = False
    prepare: Callable[[Turn[R], Draft], Awaitable[Mapping[str, Any]]] | None = None
    retry: Mapping[str, str] = field(default_factory=dict)
    submit_label: Callable[[Asking[R]], str] | None = None
    buttons: Callable[[Asking[R]], Rows] | None = None  # rows under the submit button


@dataclass(frozen=True, slots=True)
class Labels:
    """Message keys of the wizard's own buttons and answers ("" = no such button)."""

    cancel: str
    submit: str
    use_buttons: str
    stale: str
    restart: str = ""
    back: str = ""
