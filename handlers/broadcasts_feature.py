"""The press service's declaration: events (create, edit, cancel, reminders) and broadcasts."""

from __future__ import annotations

from typing import Any

from handlers import press
from handlers.kit.feature import Command, Feature, Periodic, Task
from handlers.press import ProgressTracking
from services import broadcasts, events
from services.broadcasts import BroadcastRules
from services.events import EventRules
from services.jobs import every_tick
from services.models import Role


def press_rules(values: Any) -> tuple[EventRules, BroadcastRules, ProgressTracking]:
    return (EventRules(reminder_hours=values.event_reminder_hours),
            BroadcastRules(text_max=values.announcement_max),
            ProgressTracking(enabled=values.delivery_enabled))


feature = Feature(
    name="broadcasts",
    routers=lambda: (press.router,),
    commands=(Command("broadcast", staff=Role.PRESS, order=210),
              Command("broadcasts", staff=Role.PRESS, order=220),
              Command("event_new", staff=Role.PRESS, order=230)),
    jobs=(Task(broadcasts.START_TASK, broadcasts.start_job),
          Periodic("broadcasts.finish", every_tick, broadcasts.finish_job),
          Task(events.REMINDER_TASK, events.reminder_task)),
    settings=press_rules,
    on_stop=press.stop_trackers,
)
