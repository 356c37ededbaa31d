"""The scheduler's side of appeals: the follow-up task and the daily digest.

Both are declared to the job registry by the feature (handlers/appeals), not registered by
import side effects; the digest runs with the council's configured rules.
"""

from __future__ import annotations

from typing import Any

from services import jobs
from services.appeals.digest import send_digest
from services.appeals.followup import ask_followup
from services.appeals.rules import AppealRules

DIGEST_JOB = "appeals.digest"


async def followup_task(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """The FOLLOWUP_TASK handler: ask the author four weeks after the answer."""
    event_id = payload.get("event_id")
    await ask_followup(ctx.session, int(payload["appeal_id"]),
                       event_id=int(event_id) if event_id is not None else None)


async def digest_job(ctx: jobs.JobContext) -> None:
    """The daily digest job, with the council's configured rules."""
    await send_digest(ctx.session, ctx.section(AppealRules), ctx.now)
