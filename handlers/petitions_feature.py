"""The e-petitions feature's declaration: residents' petitions and their moderation."""

from __future__ import annotations

from typing import Any

from handlers import petitions, petitions_admin, petitions_filing
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic
from services import petitions as service
from services.jobs import daily_at, every_tick
from services.models import Channel, Role
from services.petitions import PetitionRules


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


feature = Feature(
    name="petitions",
    routers=lambda: (petitions.router, petitions_filing.router, petitions_admin.router),
    menu=MenuEntry("petitions", order=20),
    commands=(Command("petitions_queue", staff=Role.MODERATOR, order=110),
              Command("petition_manage", staff=Role.MODERATOR, order=120),
              Command("petition_export", staff=Role.MODERATOR, order=130)),
    jobs=(Periodic("petitions.close_expired", every_tick, service.close_expired_job),
          Periodic("petitions.moderation_overdue", every_tick, service.moderation_overdue_job),
          Periodic("petitions.answer_overdue", daily_at(9), service.answer_overdue_job)),
    settings=petition_rules,
)
