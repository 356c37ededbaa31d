"""The polls feature's declaration: consultation polls (the screens come with the polls issue)."""

from __future__ import annotations

from handlers.kit.feature import Feature, MenuEntry, Periodic, no_routers
from services.jobs import JobContext, PeriodKey
from services.polls.jobs import JOBS, PollJob


def _periodic(name: str, handler: PollJob, period_key: PeriodKey) -> Periodic:
    async def run(ctx: JobContext) -> None:
        await handler(ctx.session, ctx.now)

    return Periodic(name, period_key, run)


feature = Feature(
    name="polls",
    routers=no_routers,
    menu=MenuEntry("polls", order=30),
    jobs=tuple(_periodic(name, handler, key) for name, handler, key in JOBS),
)
