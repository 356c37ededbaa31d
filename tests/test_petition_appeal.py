"""Art. 23-1: a petition that did not collect its signatures is considered as an appeal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from services import appeals, jobs, petitions, residents, roles
from services.db import utcnow
from services.models import (
    AuditEntry,
    ChannelIdentity,
    OutboxMessage,
    Petition,
    PetitionStatus,
    Resident,
    Role,
)
from services.models.appeals import Appeal, AppealEvent, AppealType
from services.timeutil import statutory_deadline

RULES = petitions.PetitionRules(threshold=3, period_days=30)
TITLE = "Облаштувати велодоріжку на проспекті Миру"
TEXT = "Просимо міську раду облаштувати безпечну велодоріжку вздовж проспекту Миру."


async def make_resident(session, n: int) -> Resident:
    resident = Resident(
        language="uk", consent_at=utcnow(), phone=f"+380{n:09d}", phone_verified_at=utcnow(),
        full_name=f"Мешканець Номер{n}", street="вул. Миру", building=str(n),
        is_active=True, notifications_enabled=True,
    )
    resident.identities = [ChannelIdentity(channel="telegram", external_id=str(n),
                                           chat_id=str(n))]
    session.add(resident)
    await session.flush()
    return resident


async def expired_petition(session, author: Resident, title: str = TITLE) -> Petition:
    """A petition whose 30 days of collection ended yesterday, one signature short."""
    started = utcnow() - timedelta(days=31)
    petition = await petitions.create(session, RULES, author, title=title, text=TEXT,
                                      now=started)
    await petitions.approve(session, RULES, "telegram:900", petition.id, now=started)
    await session.commit()
    return petition


async def outbox_texts(session, chat_id: str) -> list[str]:
    """What the closing told this chat (not the earlier "published" notices)."""
    return list(await session.scalars(
        select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id,
                                         OutboxMessage.dedupe_key.like("petition:%:expired:%"))
        .order_by(OutboxMessage.id)
    ))


async def test_closing_registers_the_appeal_with_the_normal_numbering(sessionmaker,
                                                                      jobs_registry):
    async with sessionmaker() as session:
        await roles.grant(session, "test", "telegram", "900", Role.MODERATOR)
        author = await make_resident(session, 1)
        petition = await expired_petition(session, author)
        earlier = await appeals.register(session, appeals.AppealRules(), author,
                                         kind="complaint", category="roads",
                                         text="Яма на дорозі біля школи номер п'ять")
        await session.commit()
    await jobs.run_tick(sessionmaker, "w1", jobs_registry)
    await jobs.run_tick(sessionmaker, "w2", jobs_registry)
    async with sessionmaker() as session:
        closed = await session.get(Petition, petition.id)
        assert closed is not None and closed.status == PetitionStatus.NOT_ENOUGH_SIGNATURES
        appeal = (await session.scalars(select(Appeal).where(Appeal.petition_id == petition.id)
                                        )).one()
        # The next number of the same register, the 30-day term from the closing.
        assert (appeal.year, appeal.seq) == (earlier.year, earlier.seq + 1)
        assert appeal.number == appeals.format_number(appeal.year, appeal.seq)
        assert appeal.deadline == statutory_deadline(closed.closed_at, 30)
        assert appeal.author_id == author.id
        assert (appeal.author_name, appeal.author_address) == ("Мешканець Номер1", "вул. Миру, 1")
        assert appeal.text == TEXT and appeal.type == AppealType.PROPOSAL
        assert [e.status for e in await appeals.history(session, appeal.id)] == ["registered"]
        told = await outbox_texts(session, "1")
        assert len(told) == 1 and appeal.number in told[0]
        assert appeal.deadline.strftime("%d.%m.%Y") in told[0]
        staff = await outbox_texts(session, "900")
        assert any(appeal.number in t for t in staff)
        audited = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "appeal.from_petition"))
        assert audited == 1
        # The register goes on after it.
        later = await appeals.register(session, appeals.AppealRules(), author,
                                       kind="complaint", category="roads",
                                       text="Не працює вуличне освітлення у дворі")
        assert later.seq == appeal.seq + 1


async def test_the_appeal_is_part_of_the_closing_transaction(session):
    author = await make_resident(session, 1)
    pid = (await expired_petition(session, author)).id
    assert await petitions.close_expired(session) == [pid]
    assert await session.scalar(select(Appeal.id).where(Appeal.petition_id == pid))
    await session.rollback()  # the closing fails: no appeal, no number used up
    assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert await session.scalar(select(Petition.status).where(Petition.id == pid)) == (
        PetitionStatus.COLLECTING
    )
    assert await petitions.close_expired(session) == [pid]
    appeal = (await session.scalars(select(Appeal))).one()
    assert appeal.seq == 1


async def test_two_schedulers_register_it_exactly_once(database_url):
    """Two engines (as two processes would have) close the same petitions at once."""
    from services.db import make_engine, make_sessionmaker

    engines = [make_engine(database_url), make_engine(database_url)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        async with makers[0]() as session:
            author = await make_resident(session, 1)
            ids = [(await expired_petition(session, author, f"{TITLE} {i}")).id
                   for i in range(3)]

        async def close(i: int) -> list[int]:
            async with makers[i % 2]() as session:
                closed = await petitions.close_expired(session)
                await session.commit()
                return closed

        results = await asyncio.gather(*(close(i) for i in range(4)))
        assert sorted(pid for r in results for pid in r) == sorted(ids)
        async with makers[1]() as session:
            linked = list(await session.scalars(select(Appeal.petition_id)))
            assert sorted(linked) == sorted(ids)
            assert len(await outbox_texts(session, "1")) == 3
    finally:
        for engine in engines:
            await engine.dispose()


async def test_an_erased_author_leaves_no_appeal_and_staff_are_told_why(session):
    await roles.grant(session, "test", "telegram", "900", Role.MODERATOR)
    author = await make_resident(session, 1)
    petition = await expired_petition(session, author)
    await residents.forget(session, author, phone_secret=None)
    await session.commit()
    assert await petitions.close_expired(session) == [petition.id]
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert await session.scalar(select(func.count()).select_from(AppealEvent)) == 0
    entry = await session.scalar(select(AuditEntry).where(
        AuditEntry.action == "petition.not_considered_anonymous"))
    assert entry is not None and entry.target_id == str(petition.id)
    staff = await outbox_texts(session, "900")
    assert any("ст. 8" in t and TITLE in t for t in staff)


async def test_staff_see_the_petition_on_the_appeal_card(bot_app):
    author = bot_app.resident(331)
    await author.onboard()
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(select(Resident).where(Resident.full_name.is_not(None)))
        petition = await expired_petition(session, resident)
        await petitions.close_expired(session)
        await session.commit()
        appeal = (await session.scalars(select(Appeal))).one()
    await bot_app.deliver()
    assert any(appeal.number in t and "звернення" in t for t in author.texts())
    staff = bot_app.resident(931, first_name="Мод")
    await bot_app.make_staff(931, Role.MODERATOR)
    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(appeal.number)
    assert f"З петиції №{petition.number} «{TITLE}»" in staff.last.text
    await staff.press("Відкрити петицію")
    assert TITLE in staff.last.text
