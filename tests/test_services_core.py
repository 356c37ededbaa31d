"""Quick checks that the core services work on the selected backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services import jobs, outbox, residents
from services.models import OutboxMessage


async def _resident(session, ext: str = "1", lang: str = "uk"):
    return await residents.give_consent(
        session, channel="telegram", external_id=ext, chat_id=ext, language=lang
    )


async def test_notify_dedupes_and_claims_once(session):
    r = await _resident(session)
    await session.commit()
    n1 = await outbox.notify_residents(session, [r.id], lambda t: t("menu.title"), dedupe="x")
    n2 = await outbox.notify_residents(session, [r.id], lambda t: t("menu.title"), dedupe="x")
    await session.commit()
    assert (n1, n2) == (1, 0)
    first = await outbox.claim_batch(session, "w1", channel="telegram", limit=10)
    await session.commit()
    second = await outbox.claim_batch(session, "w2", channel="telegram", limit=10)
    await session.commit()
    assert len(first) == 1 and second == []
    assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


async def test_scheduled_task_runs_once(sessionmaker):
    seen: list[int] = []

    @jobs.task("test.echo")
    async def echo(_session, payload):
        seen.append(payload["n"])

    async with sessionmaker() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        assert await jobs.schedule(session, "test.echo", past, {"n": 7}, dedupe_key="echo-7")
        assert not await jobs.schedule(session, "test.echo", past, {"n": 7}, dedupe_key="echo-7")
        await session.commit()
    await jobs.run_tick(sessionmaker, "a")
    await jobs.run_tick(sessionmaker, "b")
    assert seen == [7]
