"""The petitions feature's settings section: the numbers a council sets."""

from __future__ import annotations

from dataclasses import dataclass

from services.models import Channel

__all__ = ["PAGE_SIZE", "PetitionRules"]

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class PetitionRules:
    """Built once from Settings by the feature declaration; handlers and jobs get this one."""

    threshold: int = 250
    period_days: int = 90
    title_min: int = 10
    title_max: int = 200
    text_min: int = 30
    text_max: int = 3000
    answer_max: int = 3500
    comment_max: int = 500
    max_pending_per_author: int = 2
    moderation_working_days: int = 2
    answer_working_days: int = 10
    categories: tuple[str, ...] = ()
    # The council's public channel for notices: its address there, and which messenger it is
    # on (plain values; the feature declaration passes the configured ones).
    council_channel_id: int | str | None = None
    council_channel: Channel = Channel.TELEGRAM
