"""The broadcasts feature: press announcements composed on the wizard, their progress, the
history.

`callbacks` (the buttons), `screens` (what is shown, no aiogram), `composing` (the wizard and
"send"), `progress` (refresh, stop, /broadcasts), `tracking` (the progress message edited in
place). The feature's router keeps the name "press".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Router

from handlers.broadcasts import composing, progress
from handlers.broadcasts.callbacks import BroadcastCB, HistoryCB, SummaryCB
from handlers.broadcasts.tracking import ProgressTracking, stop_trackers
from handlers.kit.aiogram_filters import HasRole
from handlers.kit.feature import Command, Feature, Periodic, Task
from services import broadcasts
from services.broadcasts import BroadcastRules
from services.jobs import every_tick
from services.models import Role

__all__ = ["BroadcastCB", "HistoryCB", "ProgressTracking", "SummaryCB", "feature",
           "stop_trackers"]


def press_rules(values: Any) -> tuple[BroadcastRules, ProgressTracking]:
    return (BroadcastRules(text_max=values.announcement_max,
                           districts=tuple(values.districts)),
            ProgressTracking(enabled=values.delivery_enabled))


def routers() -> Sequence[Router]:
    """Everything here is for press staff (admins included); anyone else falls through to
    the fallback handler, exactly as for an unknown command."""
    press = Router(name="press")
    press.message.filter(HasRole(Role.PRESS))
    press.callback_query.filter(HasRole(Role.PRESS))
    press.include_routers(composing.router(), progress.router())
    return (press,)


feature = Feature(
    name="broadcasts",
    routers=routers,
    commands=(Command("broadcast", staff=Role.PRESS, order=210),
              Command("broadcasts", staff=Role.PRESS, order=220)),
    jobs=(Task(broadcasts.START_TASK, broadcasts.start_job),
          Periodic("broadcasts.finish", every_tick, broadcasts.finish_job),),
    settings=press_rules,
    on_stop=stop_trackers,
)
