"""How a wizard's steps follow and look (handlers/kit/wizard.py): the declared order, "step k
of n" (none in a one-step dialog), each step's question and buttons, the check inside a
step, the notice and the summary (Screen values carrying the wizard's WizardCB actions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Action, Button, Rows, Screen
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.kit.wizard_steps import Asking, Confirm, Labels, Step
from services.i18n import Texts

R = TypeVar("R")


class WizardScreens(Generic[R]):
    """The flow and screens part of `Wizard`, which declares these fields."""

    name: str
    steps: tuple[Step[R], ...]
    asides: tuple[Step[R], ...]
    confirm: Confirm[R]
    progress: Callable[[Texts, int, int], str]
    labels: Labels
    leave: Action | None
    joiner: str
    _by_name: dict[str, Step[R]]

    # ---- the declared flow -------------------------------------------------------------

    @property
    def step_names(self) -> tuple[str, ...]:
        """Every step's name, the summary's last (whatever the rules)."""
        summary = () if self.confirm.at_last_answer else (self.confirm.name,)
        return (*(s.name for s in (*self.steps, *self.asides)), *summary)

    def active(self, rules: R) -> list[str]:
        """The steps asked under these rules, in order, ending with the summary."""
        summary = [] if self.confirm.at_last_answer else [self.confirm.name]
        return [s.name for s in self.steps if s.when(rules)] + summary

    def number(self, name: str, rules: R) -> tuple[int, int]:
        """(k, n) for "step k of n"."""
        active = self.active(rules)
        return active.index(name) + 1, len(active)

    def after(self, name: str, rules: R) -> str:
        active = self.active(rules)
        if name not in active:  # an aside
            return self.confirm.name
        return active[min(active.index(name) + 1, len(active) - 1)]

    def before(self, name: str, rules: R) -> str | None:
        active = self.active(rules)
        at = active.index(name) if name in active else 0
        return active[at - 1] if at > 0 else None

    def step(self, name: str) -> Step[R] | None:
        """The question step of that name (None for the summary)."""
        return self._by_name.get(name)

    # ---- the screens -------------------------------------------------------------------

    def _action(self, action: WizardAction, step: str = "", option: int = 0,
                version: int = 0) -> WizardCB:
        return WizardCB(wizard=self.name, action=action, step=step, option=option,
                        version=version)

    def start_action(self) -> WizardCB:
        return self._action(WizardAction.START)

    def _head(self, asking: Asking[R], name: str, reason: str) -> str:
        head = reason + "\n\n" if reason else ""
        if name not in self.active(asking.rules):  # an aside: no number
            return head
        k, n = self.number(name, asking.rules)
        if n == 1:  # a one-step dialog: no "step 1 of 1"
            return head
        return head + self.progress(asking.tr, k, n) + self.joiner

    def _way_out(self, keyboard: Keyboard, asking: Asking[R], name: str) -> Keyboard:
        tr = asking.tr
        target: Action | None = (self._action(WizardAction.BACK, step=name)
                                 if self.before(name, asking.rules) is not None else self.leave)
        back = Button(tr(self.labels.back), target) \
            if self.labels.back and target is not None else None
        return keyboard.row(back, Button(tr(self.labels.cancel),
                                         self._action(WizardAction.CANCEL)))

    def _step_keyboard(self, asking: Asking[R], name: str) -> Rows:
        """A step's buttons: options (or suggested answers), skip, keep, clear, then back and
        cancel."""
        step, tr = self._by_name[name], asking.tr
        keyboard = Keyboard()
        if step.options is not None:
            keyboard.add(*(Button(step.option_label(tr, value),
                                  self._action(WizardAction.PICK, step=name, option=i))
                           for i, value in enumerate(step.options(asking.rules))))
            keyboard.adjust(step.width)
        if step.suggest is not None:
            keyboard.add(*(Button(value, self._action(WizardAction.SUGGEST, step=name,
                                                      option=i))
                           for i, value in enumerate(step.suggest(asking))))
            keyboard.adjust(step.width)
        if step.skip:
            keyboard.row(Button(tr(step.skip), self._action(WizardAction.SKIP, step=name)))
        if keep := step.keep_label(asking):
            keyboard.row(Button(tr(keep), self._action(WizardAction.KEEP, step=name)))
        if step.clear and asking.data.get(step.name):
            keyboard.row(Button(tr(step.clear), self._action(WizardAction.CLEAR, step=name)))
        return self._way_out(keyboard, asking, name).build()

    def question_screen(self, asking: Asking[R], name: str, reason: str = "") -> Screen:
        return Screen(self._head(asking, name, reason) + self._by_name[name].question(asking),
                      self._step_keyboard(asking, name))

    def check_screen(self, asking: Asking[R], name: str) -> Screen:
        """The step's check: keep the value anyway, give another one, or cancel."""
        check, tr = self._by_name[name].check, asking.tr
        assert check is not None
        return Screen(tr(check.question), (
            (Button(tr(check.yes), self._action(WizardAction.CONFIRM, step=name)),),
            (Button(tr(check.again), self._action(WizardAction.AGAIN, step=name)),),
            (Button(tr(self.labels.cancel), self._action(WizardAction.CANCEL)),),
        ))

    def notice_screen(self, asking: Asking[R], text: str, rows: Rows,
                      reason: str = "") -> Screen:
        """The notice in place of the summary: its rows, "go on", back and cancel."""
        notice, name = self.confirm.notice, self.confirm.name
        assert notice is not None
        keyboard = Keyboard()
        for row in rows:
            keyboard.row(*row)
        keyboard.row(Button(asking.tr(notice.go_on), self._action(WizardAction.KEEP, step=name)))
        self._way_out(keyboard, asking, name)
        return Screen(self._head(asking, name, reason) + text, keyboard.build())

    def summary_screen(self, asking: Asking[R], version: int, reason: str = "") -> Screen:
        tr, name = asking.tr, self.confirm.name
        # The button carries the draft's version: what is filed is what this summary showed.
        label = (self.confirm.submit_label(asking) if self.confirm.submit_label
                 else tr(self.labels.submit))
        keyboard = Keyboard().row(Button(label,
                                         self._action(WizardAction.SUBMIT, version=version)))
        if self.labels.restart:
            keyboard.row(Button(tr(self.labels.restart), self.start_action()))
        for row in self.confirm.buttons(asking) if self.confirm.buttons else ():
            keyboard.row(*row)
        self._way_out(keyboard, asking, name)
        return Screen(self._head(asking, name, reason) + self.confirm.summary(asking),
                      keyboard.build())
