"""How a wizard's steps look (handlers/kit/wizard.py): "step k of n", each step's question
and buttons, the check inside a step, the notice and the summary (Screen values carrying
the wizard's WizardCB actions)."""

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
    """The screens part of `Wizard`, which declares these fields and the step order."""

    name: str
    confirm: Confirm[R]
    progress: Callable[[Texts, int, int], str]
    labels: Labels
    leave: Action | None
    joiner: str
    _by_name: dict[str, Step[R]]

    def active(self, rules: R) -> list[str]:
        raise NotImplementedError

    def number(self, name: str, rules: R) -> tuple[int, int]:
        raise NotImplementedError

    def before(self, name: str, rules: R) -> str | None:
        raise NotImplementedError

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
        """A step's buttons: options, skip, keep, clear, then back and cancel."""
        step, tr = self._by_name[name], asking.tr
        keyboard = Keyboard()
        if step.options is not None:
            keyboard.add(*(Button(step.option_label(tr, value),
                                  self._action(WizardAction.PICK, step=name, option=i))
                           for i, value in enumerate(step.options(asking.rules))))
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
