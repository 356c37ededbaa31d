"""The limits of a consultation poll, and the polls feature's settings section."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.districts.rules import DistrictRules


@dataclass(frozen=True, slots=True)
class PollRules:
    question_max: int = 300  # as a Telegram poll's question
    description_max: int = 1000
    option_max: int = 100  # as a Telegram poll's option
    options_min: int = 2
    options_max: int = 10
    page_size: int = 5
    bar_width: int = 10  # cells of a text bar in the results


@dataclass(frozen=True, slots=True)
class PollConfig:
    """What the poll screens and dialogs run under (handlers take it as `poll_config`): the
    poll limits and the council's districts, built once at start-up."""

    polls: PollRules = field(default_factory=PollRules)
    districts: DistrictRules = field(default_factory=DistrictRules)
