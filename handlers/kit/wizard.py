"""ONE wizard mechanism: a multi-step dialog declared as steps, kept in the drafts table.

A feature declares its dialog once::

    wizard = Wizard(
        name="petition", kind=DraftKind.PETITION, rules=PetitionRules,
        steps=(Step("title", ask_title, parse=parse_title),
               Step("text", ask_text, parse=parse_text),
               Step("category", ask_category, parse=parse_category,
                    options=lambda rules: rules.categories, skip="petition.btn.no_category",
                    typed_reason="petition.error.category", when=asks_category)),
        confirm=Confirm("preview", summary, submit=submit, done=submitted),
        progress=lambda tr, k, n: tr("petition.new.step", n=k, total=n),
        labels=Labels(cancel=..., submit=..., restart=..., use_buttons=..., stale=...),
        cancelled=cancelled_screen, begin=start_draft,
    )

and binds it to its channel (handlers/kit/aiogram_wizard.py: `WizardRouter(wizard, States)`,
whose router the feature includes). What the mechanism does for every dialog:

- "step k of n" is computed from the declared steps that apply under the rules (`when`), the
  summary being the last: inserting a step renumbers everything.
- Each step's question is built by its `question(asking)`; options become buttons (`width`
  a row), `skip` a button leaving the value out, and the labelled back / cancel buttons follow.
- An answer goes through the step's `parse(rules, answer)`: a value, or `InvalidInput`, whose
  reason is shown above the same question again (typing where buttons are offered gives
  `typed_reason`, typing at the summary `labels.use_buttons`). Nothing is half-written.
- State lives in the draft (services/drafts.py): `draft.step` is the step asked, `draft.data`
  holds each step's value under the step's name, every change bumps the version. The channel's
  dialog state is written through to the draft's row (handlers/kit/dialogs.py), so a restart
  loses nothing; a button of a dialog that is over answers `labels.stale`.
- The summary's submit button carries the draft version; `confirm.submit` claims the draft
  (drafts.claim, compare-and-set): a draft changed since the summary (another account of the
  person) shows the summary again with the reason; one submitted already says so.
- Resume after onboarding: `WizardRouter(..., gate=..., resume="petition_new")` starts only
  once the feature's gate (handlers.onboarding.require_profile) lets the person through; the
  gate stores where to come back, and the feature registers `WizardRouter.resume` with
  `on_resume("petition_new")`, so the person lands on the first question after onboarding.

The petition-filing dialog (handlers/petitions_filing.py) is the first one on it.

Converting the other dialogs (step 2 of the refactor):

- Event creation (handlers/press.py): steps kind (options = EventKind values, labels via
  `option_label`), title, starts_at (parse = events.parse_starts_at), stream_url and place
  (with `skip`). It files at the last answer today, with no summary: either add a summary
  (`confirm.submit` = events.submit_draft; a visible change to agree on) or give `Confirm`
  an "at the last answer" mode. The draft is staff-owned (DraftKind.EVENT): `Owner.for_kind`
  takes the account, `Turn.actor`.
- Broadcast (press.py): text (parse gets the `Answer`, photo included), audience (options:
  topics + "everyone"), district (typed, `skip` = all districts), then the summary, whose
  extra buttons (schedule, urgent) are the feature's own callbacks next to the wizard's.
- Appeal filing (handlers/appeals.py): type and category (options, `width=2`), text, files,
  location (the `Answer` carries it), public, summary; set `labels.back` (its first step's
  back leads to the section). What the mechanism grows then: a step collecting several
  answers before moving on (files: asked again until its "done" button), a button keeping
  the value given earlier (text: "keep"), a follow-up question inside a step (a point outside
  the city: "use it anyway?"), and a check before the summary (duplicates offered once).
- Poll creation (later): question, options (collected like files), closing date, summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Button, Screen
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from services import drafts
from services.drafts import DraftKind, Owner
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Draft, Resident

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person sent at a step: text, or a picked option's value."""

    text: str | None = None
    file_id: str | None = None
    location: tuple[float, float] | None = None


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
    rules the step is asked at all."""

    name: str
    question: Callable[[Asking[R]], str]
    parse: Callable[[R, Answer], Any]
    options: Callable[[R], Sequence[str]] | None = None
    option_label: Callable[[Texts, str], str] = _as_is
    skip: str = ""
    typed_reason: str = ""
    when: Callable[[R], bool] = _always
    width: int = 1
    # For answers that depend on earlier ones (a maximum within the options typed before):
    # `cross_check(rules, data so far, parsed value)` gives the value to store, or raises
    # InvalidInput.
    cross_check: Callable[[R, Mapping[str, Any], Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class Confirm(Generic[R]):
    """The last step: a summary with the submit button. `submit(turn, version)` claims the
    draft and files it (raising Conflict as services.drafts.claim does); `done` is the screen
    after a successful submission."""

    name: str
    summary: Callable[[Asking[R]], str]
    submit: Callable[[Turn[R], int | None], Awaitable[Any]]
    done: Callable[[Asking[R], Any], Screen]


@dataclass(frozen=True, slots=True)
class Labels:
    """Message keys of the wizard's own buttons and answers ("" = no such button)."""

    cancel: str
    submit: str
    use_buttons: str
    stale: str
    restart: str = ""
    back: str = ""


@dataclass(frozen=True)
class Wizard(Generic[R]):
    name: str
    kind: DraftKind
    rules: type[R]  # the settings section it runs under
    steps: tuple[Step[R], ...]
    confirm: Confirm[R]
    progress: Callable[[Texts, int, int], str]
    labels: Labels
    cancelled: Callable[[Asking[R]], Screen]
    # Who may start and the fresh draft at the first step; default: drafts.start.
    begin: Callable[[Turn[R]], Awaitable[Draft]] | None = None
    _by_name: dict[str, Step[R]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps] + [self.confirm.name]
        if not self.steps or len(set(names)) != len(names):
            raise ValueError(f"wizard {self.name}: steps need unique names: {names}")
        object.__setattr__(self, "_by_name", {s.name: s for s in self.steps})

    # ---- the declared flow -------------------------------------------------------------

    @property
    def step_names(self) -> tuple[str, ...]:
        """Every step's name, the summary's last (whatever the rules)."""
        return (*(s.name for s in self.steps), self.confirm.name)

    def active(self, rules: R) -> list[str]:
        """The steps asked under these rules, in order, ending with the summary."""
        return [s.name for s in self.steps if s.when(rules)] + [self.confirm.name]

    def number(self, name: str, rules: R) -> tuple[int, int]:
        """(k, n) for "step k of n"."""
        active = self.active(rules)
        return active.index(name) + 1, len(active)

    def after(self, name: str, rules: R) -> str:
        active = self.active(rules)
        return active[min(active.index(name) + 1, len(active) - 1)]

    def before(self, name: str, rules: R) -> str | None:
        active = self.active(rules)
        at = active.index(name)
        return active[at - 1] if at > 0 else None

    def step(self, name: str) -> Step[R] | None:
        """The question step of that name (None for the summary)."""
        return self._by_name.get(name)

    # ---- screens ---------------------------------------------------------------------------

    def _action(self, action: WizardAction, step: str = "", option: int = 0,
                version: int = 0) -> WizardCB:
        return WizardCB(wizard=self.name, action=action, step=step, option=option,
                        version=version)

    def start_action(self) -> WizardCB:
        return self._action(WizardAction.START)

    def _head(self, asking: Asking[R], name: str, reason: str) -> str:
        k, n = self.number(name, asking.rules)
        return (reason + "\n\n" if reason else "") + self.progress(asking.tr, k, n) + "\n"

    def _way_out(self, keyboard: Keyboard, asking: Asking[R], name: str) -> Keyboard:
        tr = asking.tr
        previous = self.before(name, asking.rules)
        back = (Button(tr(self.labels.back), self._action(WizardAction.BACK, step=name))
                if self.labels.back and previous is not None else None)
        return keyboard.row(back, Button(tr(self.labels.cancel),
                                         self._action(WizardAction.CANCEL)))

    def question_screen(self, asking: Asking[R], name: str, reason: str = "") -> Screen:
        step = self._by_name[name]
        keyboard = Keyboard()
        if step.options is not None:
            keyboard.add(*(Button(step.option_label(asking.tr, value),
                                  self._action(WizardAction.PICK, step=name, option=i))
                           for i, value in enumerate(step.options(asking.rules))))
            keyboard.adjust(step.width)
        if step.skip:
            keyboard.row(Button(asking.tr(step.skip), self._action(WizardAction.SKIP, step=name)))
        self._way_out(keyboard, asking, name)
        return Screen(self._head(asking, name, reason) + step.question(asking),
                      keyboard.build())

    def summary_screen(self, asking: Asking[R], version: int, reason: str = "") -> Screen:
        tr, name = asking.tr, self.confirm.name
        # The button carries the draft's version: what is filed is what this summary showed.
        keyboard = Keyboard().row(Button(tr(self.labels.submit),
                                         self._action(WizardAction.SUBMIT, version=version)))
        if self.labels.restart:
            keyboard.row(Button(tr(self.labels.restart), self.start_action()))
        self._way_out(keyboard, asking, name)
        return Screen(self._head(asking, name, reason) + self.confirm.summary(asking),
                      keyboard.build())

    # ---- the engine --------------------------------------------------------------------

    def _owner(self, turn: Turn[R]) -> Owner:
        owner = Owner.for_kind(self.kind, turn.resident.id if turn.resident else None,
                               turn.actor)
        if owner is None:  # no profile: there is no draft to continue
            raise NotFound(self.labels.stale)
        return owner

    async def draft(self, turn: Turn[R]) -> Draft:
        return await drafts.require(turn.session, self._owner(turn), self.kind,
                                    self.labels.stale)

    async def ask(self, turn: Turn[R], draft: Draft, reason: str = "") -> None:
        """Show the question of the draft's step (the first one if the step is unknown)."""
        name = draft.step if draft.step in self.active(turn.rules) else self.active(turn.rules)[0]
        asking = turn.asking(draft.data)
        await turn.dialog.enter(name)
        if name == self.confirm.name:
            await turn.dialog.show(self.summary_screen(asking, draft.version, reason))
        else:
            await turn.dialog.show(self.question_screen(asking, name, reason))

    async def start(self, turn: Turn[R]) -> None:
        """A fresh draft at the first step (replacing an earlier one), then its question."""
        if self.begin is not None:
            draft = await self.begin(turn)
        else:
            draft = await drafts.start(turn.session, self._owner(turn), self.kind,
                                       self.active(turn.rules)[0])
        await turn.session.commit()  # before talking to the channel: no write lock held
        await self.ask(turn, draft)

    async def _again(self, turn: Turn[R], reason_key: str, **params: Any) -> None:
        await self.ask(turn, await self.draft(turn), turn.tr(reason_key, **params))

    async def answer(self, turn: Turn[R], name: str, answer: Answer) -> None:
        """Something sent at step `name`: store its value and go on, or say why not and ask
        the same question again."""
        step = self._by_name.get(name)
        if step is None:  # at the summary
            await self._again(turn, self.labels.use_buttons)
            return
        if step.options is not None:
            await self._again(turn, step.typed_reason or self.labels.use_buttons)
            return
        await self._store(turn, step, answer)

    async def pick(self, turn: Turn[R], name: str, option: int) -> None:
        step = self._by_name.get(name)
        values = list(step.options(turn.rules)) if step and step.options else []
        if step is None or not 0 <= option < len(values):
            raise NotFound(self.labels.stale)  # a forged or outdated button
        await self._store(turn, step, Answer(text=values[option]))

    async def skip(self, turn: Turn[R], name: str) -> None:
        step = self._by_name.get(name)
        if step is None or not step.skip:
            raise NotFound(self.labels.stale)
        await self._save(turn, step, None)

    async def _store(self, turn: Turn[R], step: Step[R], answer: Answer) -> None:
        try:
            value = step.parse(turn.rules, answer)
            if step.cross_check is not None:
                value = step.cross_check(turn.rules, (await self.draft(turn)).data, value)
        except InvalidInput as err:
            await self._again(turn, err.message_key, **err.params)
            return
        await self._save(turn, step, value)

    async def _save(self, turn: Turn[R], step: Step[R], value: Any) -> None:
        """Store the value (None removes it) and move the draft to the next step."""
        draft = await drafts.update(turn.session, self._owner(turn), self.kind,
                                    self.after(step.name, turn.rules),
                                    missing=self.labels.stale, **{step.name: value})
        await turn.session.commit()
        await self.ask(turn, draft)

    async def back(self, turn: Turn[R], name: str) -> None:
        previous = self.before(name, turn.rules) if name in self.active(turn.rules) else None
        if previous is None:
            raise NotFound(self.labels.stale)
        draft = await drafts.update(turn.session, self._owner(turn), self.kind, previous,
                                    missing=self.labels.stale)
        await turn.session.commit()
        await self.ask(turn, draft)

    async def cancel(self, turn: Turn[R]) -> None:
        """Cancel drops the draft: nothing half-written is kept."""
        owner = Owner.for_kind(self.kind, turn.resident.id if turn.resident else None,
                               turn.actor)
        if owner is not None:
            await drafts.discard(turn.session, owner, self.kind)
            await turn.session.commit()
        await turn.dialog.enter(None)
        await turn.dialog.show(self.cancelled(turn.asking()))

    async def submit(self, turn: Turn[R], version: int | None) -> None:
        try:
            result = await self.confirm.submit(turn, version)
        except Conflict as err:
            if err.message_key != drafts.CHANGED:
                await turn.dialog.enter(None)  # submitted already (another account, say)
                raise  # the error handler says so; nothing of this press is kept
            # Changed since this summary: show what is there now (nothing was written;
            # committing ends the transaction before talking to the channel).
            await turn.session.commit()
            await self._again(turn, err.message_key)
            return
        await turn.session.commit()
        await turn.dialog.enter(None)
        await turn.dialog.show(self.confirm.done(turn.asking(), result))
