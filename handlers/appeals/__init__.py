"""The appeals feature: residents' appeals (Law No. 393/96) and the moderators' register.

`filing` (the wizard), `resident` (section, own appeals, follow-up), `staff`,
`staff_dialogs` (the moderators' wizards on one appeal) and `reports` (moderators) build their
routers in factories; `staff_card` reads a staff card; `screens` / `screens_staff` are pure;
`callbacks` holds the CallbackData families, `actions` what the screens put on buttons.
"""

from __future__ import annotations

from typing import Any

from handlers.appeals import resident, staff
from handlers.appeals.callbacks import pack_followup
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic, Press, Task
from services.appeals.followup import FOLLOWUP_PRESS, FOLLOWUP_TASK
from services.appeals.jobs import DIGEST_JOB, digest_job, followup_task
from services.appeals.rules import AppealRules, parse_bbox
from services.jobs import daily_at
from services.models import Role


def appeal_rules(values: Any) -> AppealRules:
    """The feature's rules as plain values for the service, built once from the Settings."""
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
        city_bbox=parse_bbox(values.city_bbox),
        address_max=values.address_max_length,
    )


feature = Feature(
    name="appeals",
    routers=lambda: (resident.router(), staff.router()),
    menu=MenuEntry("appeals", order=10),
    commands=(Command("appeals", staff=Role.MODERATOR, order=140),
              Command("appeals_export", staff=Role.MODERATOR, order=150),
              Command("stats", staff=Role.MODERATOR, order=160)),
    jobs=(Task(FOLLOWUP_TASK, followup_task),
          Periodic(DIGEST_JOB, daily_at(9), digest_job)),
    settings=appeal_rules,
    presses=(Press(FOLLOWUP_PRESS, pack_followup),),
)
