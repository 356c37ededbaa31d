"""The polls feature's declaration: consultation polls for residents, run by moderators.

`resident` (lists, card, answering, the district question, results picture), `creation` (the
moderators' poll wizard), `staff` (every poll, live tally, edit, close early, export),
`screens` / `screens_staff` (pure Screens), `callbacks` (the typed buttons). The opening,
closing and results jobs are services.polls.jobs, declared here.

`DISTRICT_SETTING` is the callback data of a "my district" button for other screens (the
/settings screen): it asks the resident's district and remembers it on the profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from handlers.kit.feature import Command, Feature, MenuEntry, Periodic
from handlers.polls import creation, resident, staff
from handlers.polls.callbacks import DISTRICT_SETTING
from services.jobs import JobContext, PeriodKey
from services.models import Role
from services.polls.jobs import JOBS, PollJob
from services.polls.rules import PollConfig, PollRules

if TYPE_CHECKING:
    from aiogram import Router

__all__ = ["DISTRICT_SETTING", "feature", "poll_config"]


def poll_config(values: Any) -> PollConfig:
    """The poll limits and the council's districts (DISTRICTS, DISTRICTS_TABLE)."""
    return PollConfig(polls=PollRules(), districts=values.district_rules())


def _periodic(name: str, handler: PollJob, period_key: PeriodKey) -> Periodic:
    async def run(ctx: JobContext) -> None:
        await handler(ctx.session, ctx.now)

    return Periodic(name, period_key, run)


def _routers() -> Sequence[Router]:
    return (resident.router(), creation.router(), staff.router())


feature = Feature(
    name="polls",
    routers=_routers,
    menu=MenuEntry("polls", order=30),
    commands=(Command("polls", order=35),
              Command("polls_admin", staff=Role.MODERATOR, order=170)),
    jobs=tuple(_periodic(name, handler, key) for name, handler, key in JOBS),
    settings=poll_config,
)
