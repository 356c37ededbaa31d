"""The wizard's buttons: one CallbackData family for every wizard, typed fields only."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.kit.ids import RowId, SmallNumber


class WizardAction(StrEnum):
    START = "start"  # (again) from the first step; the draft starts afresh
    PICK = "pick"  # one of a step's options, by its place in the list
    SKIP = "skip"  # leave the step's value out
    BACK = "back"  # to the step before
    CANCEL = "cancel"  # drop the draft
    SUBMIT = "submit"  # file what the summary showed (its draft version)
    KEEP = "keep"  # go on with the step's value as it is (or past the summary's notice)
    CLEAR = "clear"  # empty a collecting step's value and ask it again
    CONFIRM = "confirm"  # yes to a value the step's check asked about
    AGAIN = "again"  # the step's question again instead of the checked value
    SUGGEST = "suggest"  # one of a step's suggested answers, by its place: as if typed


class WizardCB(CallbackData, prefix="wz"):
    wizard: str
    action: WizardAction
    step: str = ""
    option: SmallNumber = 0
    version: RowId = 0
