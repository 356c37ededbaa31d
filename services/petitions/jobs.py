"""The feature's jobs as the scheduler runs them (declared in handlers/petitions)."""

from __future__ import annotations

from services import appeals, jobs
from services.petitions.closing import (
    close_expired,
    remind_answer_overdue,
    warn_moderation_overdue,
)

__all__ = ["answer_overdue_job", "close_expired_job", "moderation_overdue_job"]


async def close_expired_job(ctx: jobs.JobContext) -> None:
    """Closing registers appeals: with the appeal rules the appeals handlers use."""
    await close_expired(ctx.session, ctx.now, ctx.section(appeals.AppealRules))


async def moderation_overdue_job(ctx: jobs.JobContext) -> None:
    await warn_moderation_overdue(ctx.session, ctx.now)


async def answer_overdue_job(ctx: jobs.JobContext) -> None:
    await remind_answer_overdue(ctx.session, ctx.now)
