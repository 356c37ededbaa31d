"""The right to be forgotten: what /forget erases, what stays, and for how long."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from services import outbox, petitions, residents
from services.db import utcnow
from services.models import AppSecret, OutboxMessage, OutboxStatus, Petition, Resident
from tests.conftest import make_test_settings

PHONE = "+380671112233"


async def _resident_id(bot_app, user_id: int) -> int:
    async with bot_app.sessionmaker() as session:
        resident = await residents.by_identity(session, "telegram", str(user_id))
        assert resident is not None
        return resident.id


async def _queue(bot_app, resident_id: int, text: str, *, broadcast_id: int | None = None,
                 dedupe: str | None = None) -> None:
    async with bot_app.sessionmaker() as session:
        await outbox.notify_residents(session, [resident_id], lambda _tr: text,
                                      broadcast_id=broadcast_id, dedupe=dedupe, urgent=True)
        await session.commit()


async def _all_rows(bot_app) -> list[OutboxMessage]:
    async with bot_app.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_forget_erases_the_persons_messages_and_keeps_broadcast_figures(bot_app):
    c = bot_app.resident(301)
    await c.onboard(phone=PHONE, street="вул. Шевченка", building="12")
    rid = await _resident_id(bot_app, 301)
    # A sent confirmation quoting the address, a sent broadcast, and one still queued.
    await _queue(bot_app, rid, "Звернення прийнято: вул. Шевченка, 12", dedupe="appeal:1")
    await _queue(bot_app, rid, "📢 Вода завтра", broadcast_id=7)
    assert await bot_app.deliver() == 2
    await _queue(bot_app, rid, "Нагадування для вул. Шевченка, 12")
    await _queue(bot_app, rid, "📢 Ще одна розсилка", broadcast_id=8)

    await c.send("/forget")
    await c.press("Так, видалити")
    assert "видалено" in c.last.text

    rows = await _all_rows(bot_app)
    # Only the broadcasts' rows stay, for their figures: no chat, text, profile or key.
    assert [(r.broadcast_id, r.status) for r in rows] == [
        (7, OutboxStatus.SENT.value), (8, OutboxStatus.CANCELLED.value)]
    for row in rows:
        assert (row.chat_id, row.resident_id, row.text, row.buttons, row.dedupe_key) == (
            "", None, "", None, None)
    assert await bot_app.deliver() == 0  # nothing queued for them goes out after /forget


async def test_finished_messages_are_deleted_daily_after_the_retention_period(bot_app):
    c = bot_app.resident(302)
    await c.onboard()
    rid = await _resident_id(bot_app, 302)
    for n in range(4):
        await _queue(bot_app, rid, f"message {n}")
    await bot_app.deliver()
    now = utcnow()
    async with bot_app.sessionmaker() as session:
        ids = list(await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        ages = {ids[0]: 31, ids[1]: 29, ids[2]: 45, ids[3]: 45}
        for row_id, days in ages.items():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                sent_at=now - timedelta(days=days), created_at=now - timedelta(days=days)))
        # A failed one has no sent_at (its age is its creation); a pending one is never purged.
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[2]).values(
            status=OutboxStatus.FAILED.value, sent_at=None))
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[3]).values(
            status=OutboxStatus.PENDING.value, sent_at=None, not_before=now + timedelta(days=1)))
        await session.commit()

    assert make_test_settings("sqlite://", "http://x", None).outbox_retention_days == 30
    registry = bot_app.jobs
    job = registry.periodic["outbox.purge_finished"]
    kyiv_2am, kyiv_4am = datetime(2026, 12, 1, 0, 0, tzinfo=UTC), datetime(2026, 12, 1, 2,
                                                                          0, tzinfo=UTC)
    assert job.period_key(kyiv_2am) is None and job.period_key(kyiv_4am) == "2026-12-01"
    async with bot_app.sessionmaker() as session:
        await job.handler(registry.context(session, now))
        await session.commit()
    assert sorted(r.id for r in await _all_rows(bot_app)) == [ids[1], ids[3]]

    outbox.configure_retention(10)  # OUTBOX_RETENTION_DAYS=10
    try:
        async with bot_app.sessionmaker() as session:
            await job.handler(registry.context(session, now))
            await session.commit()
    finally:
        outbox.configure_retention(30)
    assert [r.id for r in await _all_rows(bot_app)] == [ids[3]]


async def test_consent_text_says_what_stays_after_forget(bot_app):
    c = bot_app.resident(303)
    await c.send("/start")
    await c.press("Українська")
    consent = c.last.text
    assert "не довше 30 днів" in consent and "хешем" in consent
    assert "уже подані звернення" in consent
    await c.send("/start")
    await c.press("English")
    assert "at most 30 days" in c.last.text and "hash" in c.last.text


async def _signatures(bot_app, petition_id: int) -> int:
    async with bot_app.sessionmaker() as session:
        petition = await session.get(Petition, petition_id)
        assert petition is not None
        return petition.signature_count


async def test_forget_then_onboarding_again_cannot_sign_the_same_petition_twice(bot_app):
    author = bot_app.resident(310)
    await author.onboard()
    rules = petitions.PetitionRules(max_pending_per_author=10)
    async with bot_app.sessionmaker() as session:
        petition = await petitions.create(
            session, rules, await session.get(Resident, await _resident_id(bot_app, 310)),
            title="Відремонтувати дорогу на вулиці Миру",
            text="Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру.")
        await petitions.approve(session, rules, "test", petition.id)
        await session.commit()
        pid = petition.id

    signer = bot_app.resident(311)
    await signer.onboard(phone=PHONE)
    await signer.send(f"/start petition_{pid}")
    await signer.press("Підписати")
    assert await _signatures(bot_app, pid) == 1
    await signer.send("/forget")
    await signer.press("Так, видалити")

    for account in (signer, bot_app.resident(312)):  # the same account, or a new one
        await account.onboard(phone=PHONE)
        await account.send(f"/start petition_{pid}")
        await account.press("Підписати")
        assert "вже підписали" in account.last_callback_answers[-1]["text"]
        assert await _signatures(bot_app, pid) == 1
        if account is signer:
            await signer.send("/forget")
            await signer.press("Так, видалити")


async def test_phone_hash_uses_the_configured_secret_or_one_made_once(session):
    configured = await residents.phone_hash(session, PHONE, "s3cret")
    assert configured == hmac.new(b"s3cret", PHONE.encode(), hashlib.sha256).hexdigest()
    assert await session.scalar(select(func.count()).select_from(AppSecret)) == 0

    first = await residents.phone_hash(session, PHONE, None)
    second = await residents.phone_hash(session, PHONE, None)
    await session.commit()
    assert first == second != configured
    [stored] = list(await session.scalars(select(AppSecret.value)))
    assert len(stored) == 64  # 32 random bytes, made here: no default key in the code
    assert first == hmac.new(stored.encode(), PHONE.encode(), hashlib.sha256).hexdigest()
