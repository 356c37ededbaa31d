"""The e-petitions feature: residents' petitions, their filing and their moderation.

`resident` (section, lists, card, signing; `sharing`, inline mode, rides along), `filing`
(the wizard), `staff` (moderation), all built by their `router()` factories; `screens` and
`screens_staff` are the channel-neutral screens, `callbacks` the Telegram buttons.
Other features reach the card through `PetCB` (action "open").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Router

from handlers.kit.feature import Command, Feature, MenuEntry, Periodic
from handlers.petitions import filing, resident, staff
from handlers.petitions.callbacks import PetCB
from services import petitions as service
from services.jobs import daily_at, every_tick
from services.models import Channel, Role
from services.petitions import PetitionRules

__all__ = ["PetCB", "feature", "petition_rules"]


def petition_rules(values: Any) -> PetitionRules:
    """The council's numbers, handed to the services as plain values."""
    return PetitionRules(
        threshold=values.petition_threshold,
        period_days=values.petition_period_days,
        title_min=values.petition_title_min,
        title_max=values.petition_title_max,
        text_min=values.petition_text_min,
        text_max=values.petition_text_max,
        answer_max=values.petition_answer_max,
        max_pending_per_author=values.petition_max_pending_per_author,
        moderation_working_days=values.petition_moderation_working_days,
        answer_working_days=values.petition_answer_working_days,
        categories=tuple(values.petition_categories),
        # The configured council channel is a Telegram channel.
        council_channel_id=values.council_channel_id,
        council_channel=Channel.TELEGRAM,
    )


def _routers() -> Sequence[Router]:
    return (resident.router(), filing.router(), staff.router())


feature = Feature(
    name="petitions",
    routers=_routers,
    menu=MenuEntry("petitions", order=20),
    commands=(Command("petitions_queue", staff=Role.MODERATOR, order=110),
              Command("petition_manage", staff=Role.MODERATOR, order=120),
              Command("petition_export", staff=Role.MODERATOR, order=130)),
    jobs=(Periodic("petitions.close_expired", every_tick, service.close_expired_job),
          Periodic("petitions.moderation_overdue", every_tick, service.moderation_overdue_job),
          Periodic("petitions.answer_overdue", daily_at(9), service.answer_overdue_job)),
    settings=petition_rules,
)
