"""What a wizard is declared with (handlers/kit/wizard.py): steps, the summary, labels, and
the values one update brings: the answer, who asks, the channel's dialog."""

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
    """What the person sent at a step: text, or a picked option's value; a file (its kind,
    and its type, size and album when the channel says), or a point."""

    text: str | None = None
    file_id: str | None = None
    location: tuple[float, float] | None = None
    caption: str | None = None
    file_kind: MediaKind | None = None  # what `file_id` is
    mime: str | None = None
    size: int | None = None
    album: str | None = None


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
class Check(Generic[R]):
    """A value that needs the person's word before it is kept (a point outside the city):
    when `needed(rules, value)`, the `question` is asked with a `yes` button (keep it, go
    on), an `again` button (the step's question again) and cancel; a new answer instead is
    taken like any answer to the step."""

    needed: Callable[[R, Any], bool]
    question: str
    yes: str
    again: str


@dataclass(frozen=True, slots=True)
class Step(Generic[R]):
    """One question. `parse(rules, answer)` turns the answer into the value stored under the
    step's name, or raises InvalidInput. With `options`, the answers are buttons (typing gets
    `typed_reason`); `skip` names a button that leaves the value out; `when` says under which
    rules the step is asked at all.

    Optional: `fields(value)` spreads a value (None when skipped) over these draft keys (by
    default it is stored under the step's name);
    `keep(asking)` names a button going on with the value as it is ("" = none now); a
    `collect` step gathers answers, each stored by `collect(turn, answer)`, which returns
    the notice shown with the step's buttons (None: nothing) or raises InvalidInput, until
    keep or skip; `clear` names a button emptying its value; `check` asks before keeping;
    `suggest(asking)` offers answers as buttons while typing stays open (a press is taken as
    if its value was typed: the latest date the law allows); `verify(turn, data so far,
    parsed value)` checks an answer against the database (the appeal the dialog is bound
    to, the number of another one) and gives the value to store, or raises InvalidInput."""

    name: str
    question: Callable[[Asking[R]], str]
    parse: Callable[[R, Answer], Any] | None = None
    options: Callable[[R], Sequence[str]] | None = None
    option_label: Callable[[Texts, str], str] = _as_is
    skip: str = ""
    typed_reason: str = ""
    when: Callable[[R], bool] = _always
    width: int = 1
    fields: Callable[[Any], Mapping[str, Any]] | None = None
    keep: Callable[[Asking[R]], str] | None = None
    collect: Callable[[Turn[R], Answer], Awaitable[str | None]] | None = None
    clear: str = ""
    check: Check[R] | None = None
    # For answers that depend on earlier ones (a maximum within the options typed before):
    # `cross_check(rules, data so far, parsed value)` gives the value to store, or raises
    # InvalidInput.
    cross_check: Callable[[R, Mapping[str, Any], Any], Any] | None = None
    suggest: Callable[[Asking[R]], Sequence[str]] | None = None
    verify: Callable[[Turn[R], Mapping[str, Any], Any], Awaitable[Any]] | None = None

    def values(self, value: Any) -> Mapping[str, Any]:
        """The draft keys a value (None: none) is kept under."""
        return self.fields(value) if self.fields is not None else {self.name: value}

    def keep_label(self, asking: Asking[R]) -> str:
        return self.keep(asking) if self.keep is not None else ""


@dataclass(frozen=True, slots=True)
class Notice(Generic[R]):
    """Shown once in place of the summary while `check(turn, draft)` finds something to say
    (possible duplicates): its text and the feature's own button rows, then a `go_on` button
    that marks it seen under the draft key `seen` (a step's `fields` may reset that key)."""

    seen: str
    check: Callable[[Turn[R], Draft], Awaitable[tuple[str, Rows] | None]]
    go_on: str


@dataclass(frozen=True, slots=True)
class Confirm(Generic[R]):
    """The last step: a summary with the submit button. `submit(turn, version)` claims the
    draft and files it (raising Conflict as services.drafts.claim does); `done` is the screen
    after a successful submission; a `notice` may come before the summary. With
    `at_last_answer` there is no summary: the last step's answer files the draft.
    `prepare(turn, draft)` adds computed values to what the summary sees; an InvalidInput it
    or `submit` raises is shown above the question of step `retry[key]` (the draft moved
    there) or, unmapped, of the step the draft is at; without `retry` it goes to the error
    handler, which answers the press with the reason."""

    name: str
    summary: Callable[[Asking[R]], str]
    submit: Callable[[Turn[R], int | None], Awaitable[Any]]
    done: Callable[[Asking[R], Any], Screen]
    at_last_answer: bool = False
    prepare: Callable[[Turn[R], Draft], Awaitable[Mapping[str, Any]]] | None = None
    retry: Mapping[str, str] = field(default_factory=dict)
    submit_label: Callable[[Asking[R]], str] | None = None
    buttons: Callable[[Asking[R]], Rows] | None = None  # rows under the submit button
    notice: Notice[R] | None = None


@dataclass(frozen=True, slots=True)
class Labels:
    """Message keys of the wizard's own buttons and answers ("" = no such button)."""

    cancel: str
    submit: str
    use_buttons: str
    stale: str
    restart: str = ""
    back: str = ""
