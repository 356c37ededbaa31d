"""The appeals feature's declaration: residents' appeals and the moderators' register."""

from __future__ import annotations

from typing import Any

from handlers import appeals, appeals_admin
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic, Task
from services import appeals as service
from services.appeals import AppealRules
from services.jobs import daily_at
from services.models import Role


def appeal_rules(values: Any) -> AppealRules:
    """The feature's rules as plain values for the service."""
    return AppealRules(
        categories=tuple(values.appeal_categories),
        departments=tuple(values.appeal_departments),
        text_max=values.appeal_text_max,
        max_attachments=values.appeal_max_attachments,
        max_file_bytes=values.appeal_max_file_mb * 1024 * 1024,
        answer_days=values.appeal_answer_days,
        simple_days=values.appeal_simple_days,
        max_days=values.appeal_max_days,
        followup_days=values.appeal_followup_days,
        due_soon_days=values.appeal_due_soon_days,
        city_bbox=service.parse_bbox(values.city_bbox),
        address_max=values.address_max_length,
    )


feature = Feature(
    name="appeals",
    routers=lambda: (appeals.router, appeals_admin.router),
    menu=MenuEntry("appeals", order=10),
    commands=(Command("appeals", staff=Role.MODERATOR, order=140),
              Command("appeals_export", staff=Role.MODERATOR, order=150),
              Command("stats", staff=Role.MODERATOR, order=160)),
    jobs=(Task(service.FOLLOWUP_TASK, service.followup_task),
          Periodic("appeals.digest", daily_at(9), service.digest_job)),
    settings=appeal_rules,
)
