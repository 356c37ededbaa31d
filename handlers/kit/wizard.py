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
  once the feature's gate (handlers.profile.require_profile) lets the person through; the
  gate stores where to come back, and the feature registers `WizardRouter.resume` with
  `on_resume("petition_new")`, so the person lands on the first question after onboarding.

The petition-filing dialog (handlers/petitions/filing.py) was the first one on it. The
declarations (Step, Confirm, Labels, Answer, Turn...) live in handlers/kit/wizard_steps.py,
the screens of the steps in handlers/kit/wizard_screens.py.

Grown for the press dialogs (handlers/events/creating.py, handlers/broadcasts/composing.py):
`joiner` puts the question on the progress line ("Step 2 of 5: the title"); a step's `fields`
spreads its value over several draft keys; `Confirm(at_last_answer=True)` files at the last
answer with no summary; `confirm.retry` sends an error of the submission (or of `prepare`,
which adds computed values to the summary) back to a step; `submit_label` and `buttons`
dress the summary; `asides` are questions off the numbered flow that a feature's button
opens (`wizard.open`) and that lead back to the summary.

Grown for appeal filing (handlers/appeals/filing.py): `collect`, `keep`, `clear`, `check`,
`Confirm.notice` and `Wizard.leave`.

Grown for the moderators' appeal dialogs (handlers/appeals/staff_dialogs.py), opened from an
appeal's card: `start(turn, context)` hands the pressed button's values (the appeal id) to
`bind`, which checks them (may this appeal be extended?) and gives the draft's first values,
so the id is bound to the dialog and never read from a later button; `back_to` rebuilds the
screen the dialog was opened from (the card) when it is cancelled; a step's `suggest` offers
answers as buttons while typing stays open, its `verify` checks an answer against the
database; a one-step dialog shows no "step 1 of 1".
- Poll creation (later): question, options (collected like files), closing date, summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from handlers.kit.screen import Action, Screen
from handlers.kit.wizard_screens import WizardScreens
from handlers.kit.wizard_steps import (
    Answer,
    Asking,
    Check,
    Confirm,
    Dialog,
    Labels,
    Notice,
    Step,
    Turn,
)
from services import drafts
from services.drafts import DraftKind, Owner
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Draft

__all__ = ["Answer", "Asking", "Check", "Confirm", "Dialog", "Labels", "Notice", "Step",
           "Turn", "Wizard"]

R = TypeVar("R")


def _pending(name: str) -> str:
    """The draft key of a step's value waiting for the person's word (`Step.check`)."""
    return f"pending_{name}"


@dataclass(frozen=True)
class Wizard(WizardScreens[R]):
    name: str
    kind: DraftKind
    rules: type[R]  # the settings section it runs under
    steps: tuple[Step[R], ...]
    confirm: Confirm[R]
    progress: Callable[[Texts, int, int], str]
    labels: Labels
    # What cancel shows; or `back_to(turn, the draft's values)`: the screen it was opened from.
    cancelled: Callable[[Asking[R]], Screen] | None = None
    back_to: Callable[[Turn[R], Mapping[str, Any]], Awaitable[Screen]] | None = None
    # Who may start and the fresh draft at the first step; default: drafts.start.
    begin: Callable[[Turn[R]], Awaitable[Draft]] | None = None
    # A dialog opened with a context (a card's appeal id): checks it, gives the first values.
    bind: Callable[[Turn[R], Mapping[str, Any]], Awaitable[Mapping[str, Any]]] | None = None
    joiner: str = "\n"  # between the progress line and the question
    asides: tuple[Step[R], ...] = ()  # unnumbered questions leading back to the summary
    # Where the first step's back button leads (the feature's section); None: no button.
    leave: Action | None = None
    _by_name: dict[str, Step[R]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [s.name for s in (*self.steps, *self.asides)] + [self.confirm.name]
        if not self.steps or len(set(names)) != len(names):
            raise ValueError(f"wizard {self.name}: steps need unique names: {names}")
        if (self.cancelled is None) == (self.back_to is None):
            raise ValueError(f"wizard {self.name}: one of cancelled and back_to")
        if self.begin is not None and self.bind is not None:
            raise ValueError(f"wizard {self.name}: begin or bind, not both")
        object.__setattr__(self, "_by_name", {s.name: s for s in (*self.steps, *self.asides)})

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
        known = (*self.active(turn.rules), *(a.name for a in self.asides))
        name = draft.step if draft.step in known else self.active(turn.rules)[0]
        data: Mapping[str, Any] = draft.data
        if name == self.confirm.name and self.confirm.prepare is not None:
            try:
                data = {**draft.data, **await self.confirm.prepare(turn, draft)}
            except InvalidInput as err:
                if err.message_key not in self.confirm.retry:
                    raise
                await self._retry(turn, err)
                return
        await turn.dialog.enter(name)
        if name != self.confirm.name:
            await turn.dialog.show(self.question_screen(turn.asking(draft.data), name, reason))
            return
        notice = self.confirm.notice
        if notice is not None and not (draft.data or {}).get(notice.seen):
            found = await notice.check(turn, draft)
            await turn.session.commit()  # what it remembered is stored before any press
            if found is not None:
                await turn.dialog.show(self.notice_screen(turn.asking(draft.data), *found,
                                                          reason=reason))
                return
        await turn.dialog.show(self.summary_screen(turn.asking(data), draft.version, reason))

    async def resume(self, turn: Turn[R]) -> None:
        """The question the person's draft is at; a fresh start when there is none."""
        draft = await drafts.get(turn.session, self._owner(turn), self.kind)
        if draft is None:
            await self.start(turn)
        else:
            await self.ask(turn, draft)

    async def _retry(self, turn: Turn[R], err: InvalidInput) -> None:
        """The reason, above the question of the step `confirm.retry` maps it to."""
        target = self.confirm.retry.get(err.message_key)
        draft = (await drafts.update(turn.session, self._owner(turn), self.kind, target,
                                     missing=self.labels.stale)
                 if target else await self.draft(turn))
        await turn.session.commit()
        await self.ask(turn, draft, turn.tr(err.message_key, **err.params))

    async def open(self, turn: Turn[R], name: str) -> None:
        """Ask the aside `name` (a feature's button on the summary opens it)."""
        if name not in {a.name for a in self.asides}:
            raise NotFound(self.labels.stale)
        draft = await drafts.update(turn.session, self._owner(turn), self.kind, name,
                                    missing=self.labels.stale)
        await turn.session.commit()
        await self.ask(turn, draft)

    async def start(self, turn: Turn[R], context: Mapping[str, Any] | None = None) -> None:
        """A fresh draft at the first step (replacing an earlier one), then its question;
        `context` (what the button that opened it said) goes through `bind` first."""
        if self.begin is not None:
            draft = await self.begin(turn)
        else:
            values = (dict(await self.bind(turn, context or {})) if self.bind is not None
                      else {})
            draft = await drafts.start(turn.session, self._owner(turn), self.kind,
                                       self.active(turn.rules)[0], values)
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
        if step.collect is not None:
            await self._collect(turn, step, answer)
            return
        if step.options is not None:
            await self._again(turn, step.typed_reason or self.labels.use_buttons)
            return
        await self._store(turn, step, answer)

    async def _collect(self, turn: Turn[R], step: Step[R], answer: Answer) -> None:
        """One more answer to a collecting step: its notice with the step's buttons."""
        assert step.collect is not None
        try:
            notice = await step.collect(turn, answer)
        except InvalidInput as err:
            await self._again(turn, err.message_key, **err.params)
            return
        await turn.session.commit()
        if notice:
            draft = await self.draft(turn)
            await turn.dialog.show(Screen(notice, self._step_keyboard(turn.asking(draft.data),
                                                                      step.name)))

    async def pick(self, turn: Turn[R], name: str, option: int) -> None:
        step = self._by_name.get(name)
        values = list(step.options(turn.rules)) if step and step.options else []
        if step is None or not 0 <= option < len(values):
            raise NotFound(self.labels.stale)  # a forged or outdated button
        await self._store(turn, step, Answer(text=values[option]))

    async def suggest(self, turn: Turn[R], name: str, index: int) -> None:
        """A suggested answer pressed: taken as if it was typed."""
        step = self._by_name.get(name)
        draft = await self.draft(turn)
        values = list(step.suggest(turn.asking(draft.data))) if step and step.suggest else []
        if step is None or not 0 <= index < len(values):
            raise NotFound(self.labels.stale)  # a forged or outdated button
        await self._store(turn, step, Answer(text=values[index]))

    async def skip(self, turn: Turn[R], name: str) -> None:
        step = self._by_name.get(name)
        if step is None or not step.skip:
            raise NotFound(self.labels.stale)
        await self._save(turn, step, None)

    async def _store(self, turn: Turn[R], step: Step[R], answer: Answer) -> None:
        try:
            if step.parse is None:
                raise InvalidInput(self.labels.use_buttons)
            value = step.parse(turn.rules, answer)
            if step.cross_check is not None:
                value = step.cross_check(turn.rules, (await self.draft(turn)).data, value)
            if step.verify is not None:
                value = await step.verify(turn, (await self.draft(turn)).data, value)
        except InvalidInput as err:
            await self._again(turn, err.message_key, **err.params)
            return
        if step.check is not None and step.check.needed(turn.rules, value):
            # Kept aside until the person says yes; the step stays where it is.
            await self._move(turn, step.name, **{_pending(step.name): value})
            await turn.dialog.enter(step.name)
            await turn.dialog.show(self.check_screen(turn.asking(), step.name))
            return
        await self._save(turn, step, value)

    async def _move(self, turn: Turn[R], to: str, **values: Any) -> Draft:
        """Store `values` (None removes a key), put the draft at step `to`, commit."""
        draft = await drafts.update(turn.session, self._owner(turn), self.kind, to,
                                    missing=self.labels.stale, **values)
        await turn.session.commit()
        return draft

    async def _save(self, turn: Turn[R], step: Step[R], value: Any, to: str = "") -> None:
        """Store the value (None removes it), move the draft on (or `to` a step), ask."""
        values = dict(step.values(value))
        if step.check is not None:
            values[_pending(step.name)] = None
        draft = await self._move(turn, to or self.after(step.name, turn.rules), **values)
        if (not to and self.confirm.at_last_answer
                and step.name == self.active(turn.rules)[-1]):
            await self.submit(turn, draft.version)
            return
        await self.ask(turn, draft)

    async def keep(self, turn: Turn[R], name: str) -> None:
        """Go on with the value as it is: a step's keep button, or past the notice."""
        notice = self.confirm.notice
        if name == self.confirm.name and notice is not None:
            await self.ask(turn, await self._move(turn, name, **{notice.seen: True}))
            return
        step = self._by_name.get(name)
        if step is None or not step.keep_label(turn.asking((await self.draft(turn)).data)):
            raise NotFound(self.labels.stale)
        await self.ask(turn, await self._move(turn, self.after(name, turn.rules)))

    async def clear(self, turn: Turn[R], name: str) -> None:
        step = self._by_name.get(name)
        if step is None or not step.clear:
            raise NotFound(self.labels.stale)
        await self._save(turn, step, None, to=name)

    async def confirm_pending(self, turn: Turn[R], name: str) -> None:
        """Yes to a checked value: keep it and go on (or ask again if it is gone)."""
        step = self._by_name.get(name)
        if step is None or step.check is None:
            raise NotFound(self.labels.stale)
        value = ((await self.draft(turn)).data or {}).get(_pending(name))
        if value is None:
            await self.again(turn, name)
            return
        await self._save(turn, step, value)

    async def again(self, turn: Turn[R], name: str) -> None:
        """The step's question again (a checked value the person did not want)."""
        if self._by_name.get(name) is None:
            raise NotFound(self.labels.stale)
        await self.ask(turn, await self._move(turn, name))

    async def back(self, turn: Turn[R], name: str) -> None:
        previous = self.before(name, turn.rules) if name in self.active(turn.rules) else None
        if previous is None:
            raise NotFound(self.labels.stale)
        await self.ask(turn, await self._move(turn, previous))

    async def cancel(self, turn: Turn[R]) -> None:
        """Cancel drops the draft: nothing half-written is kept."""
        owner = Owner.for_kind(self.kind, turn.resident.id if turn.resident else None,
                               turn.actor)
        data: Mapping[str, Any] = {}
        if owner is not None:
            if self.back_to is not None:  # what it goes back to is in the draft
                draft = await drafts.get(turn.session, owner, self.kind)
                data = dict(draft.data or {}) if draft is not None else {}
            await drafts.discard(turn.session, owner, self.kind)
            await turn.session.commit()
        await turn.dialog.enter(None)
        if self.back_to is not None:
            await turn.dialog.show(await self.back_to(turn, data))
        else:
            assert self.cancelled is not None
            await turn.dialog.show(self.cancelled(turn.asking()))

    async def submit(self, turn: Turn[R], version: int | None) -> Any:
        """File the draft; returns what `confirm.submit` did (None if it was not filed)."""
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
            return None
        except InvalidInput as err:
            if not self.confirm.retry:  # the error handler answers the press with the reason
                raise
            await turn.session.rollback()  # the claimed draft is there again
            await self._retry(turn, err)
            return None
        await turn.session.commit()
        await turn.dialog.enter(None)
        await turn.dialog.show(self.confirm.done(turn.asking(), result))
        return result
