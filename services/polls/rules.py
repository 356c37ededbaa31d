"""The limits of a consultation poll."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PollRules:
    question_max: int = 300  # as a Telegram poll's question
    description_max: int = 1000
    option_max: int = 100  # as a Telegram poll's option
    options_min: int = 2
    options_max: int = 10
    page_size: int = 5
    bar_width: int = 10  # cells of a text bar in the results
