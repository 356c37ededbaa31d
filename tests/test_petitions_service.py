"""Service rules of e-petitions, on the selected backend (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services import jobs, petitions, roles, timeutil
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.models import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    OutboxMessage,
    Petition,
    PetitionStatus,
    RejectReason,
    Resident,
    Role,
    Signature,
)
from services.timeutil import as_utc, council_zone

RULES = petitions.PetitionRules(threshold=3, period_days=30, categories=("roads", "parks"))
TITLE = "Відремонтувати дорогу на вулиці Миру"
TEXT = "Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру до кінця року."


async def make_resident(session, n: int, *, complete: bool = True, lang: str = "uk") -> Resident:
    resident = Resident(
        language=lang,
        consent_at=utcnow(),
        phone=f"+380{n:09d}" if complete else None,
        phone_verified_at=utcnow() if complete else None,
        full_name=f"Мешканець Номер{n}" if complete else None,
        street="вул. Миру" if complete else None,
        building=str(n % 90 + 1) if complete else None,
        is_active=True,
        notifications_enabled=True,
    )
    resident.identities = [
        ChannelIdentity(channel="telegram", external_id=str(n), chat_id=str(n))
    ]
    session.add(resident)
    await session.flush()
    return resident


async def make_moderator(session, n: int = 900) -> str:
    await roles.grant(session, "test", "telegram", str(n), Role.MODERATOR)
    return f"telegram:{n}"


async def published(session, author: Resident, rules=RULES, *, title: str = TITLE,
                    text: str = TEXT, now: datetime | None = None) -> Petition:
    petition = await petitions.create(session, rules, author, title=title, text=text, now=now)
    await petitions.approve(session, rules, "telegram:900", petition.id, now=now)
    await session.commit()
    return petition


async def outbox_keys(session, prefix: str) -> list[str]:
    rows = await session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"{prefix}%"))
    )
    return sorted(rows)


async def outbox_texts(session, chat_id: str) -> list[str]:
    rows = await session.scalars(
        select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        .order_by(OutboxMessage.id)
    )
    return list(rows)


# ---- creating -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "key"),
    [
        ("", TEXT, "petition.error.title_empty"),
        ("   ", TEXT, "petition.error.title_empty"),
        ("Коротко", TEXT, "petition.error.title_short"),
        ("Д" * 201, TEXT, "petition.error.title_long"),
        (TITLE, "", "petition.error.text_empty"),
        (TITLE, "замало", "petition.error.text_short"),
        (TITLE, "т" * 3001, "petition.error.text_long"),
        (None, TEXT, "petition.error.not_text"),
    ],
)
async def test_create_validates_title_and_text(session, title, text, key):
    author = await make_resident(session, 1)
    with pytest.raises(InvalidInput) as err:
        await petitions.create(session, RULES, author, title=title, text=text)
    assert err.value.message_key == key
    assert await session.scalar(select(func.count()).select_from(Petition)) == 0


async def test_create_keeps_markup_literally_and_checks_category(session):
    author = await make_resident(session, 1)
    with pytest.raises(InvalidInput) as err:
        await petitions.create(session, RULES, author, title=TITLE, text=TEXT, category="moon")
    assert err.value.message_key == "petition.error.category"
    petition = await petitions.create(
        session, RULES, author, title="<b>Дорога</b> *на* вулиці   Миру", text=TEXT,
        category="roads",
    )
    assert petition.title == "<b>Дорога</b> *на* вулиці Миру"
    assert petition.status == PetitionStatus.MODERATION
    assert petition.category == "roads"


async def test_create_needs_complete_profile(session):
    stranger = await make_resident(session, 1, complete=False)
    with pytest.raises(PermissionDenied):
        await petitions.create(session, RULES, stranger, title=TITLE, text=TEXT)
    with pytest.raises(PermissionDenied):
        await petitions.create(session, RULES, None, title=TITLE, text=TEXT)


async def test_pending_limit_per_author(session):
    author = await make_resident(session, 1)
    rules = petitions.PetitionRules(max_pending_per_author=2)
    first = await petitions.create(session, rules, author, title=TITLE, text=TEXT)
    await petitions.create(session, rules, author, title=TITLE + " 2", text=TEXT)
    with pytest.raises(Conflict) as err:
        await petitions.create(session, rules, author, title=TITLE + " 3", text=TEXT)
    assert err.value.params == {"limit": 2}
    # Once one is moderated, there is room again.
    await petitions.approve(session, rules, "telegram:900", first.id)
    await petitions.create(session, rules, author, title=TITLE + " 3", text=TEXT)


async def test_new_petition_is_announced_to_moderators(session):
    await make_moderator(session, 900)
    author = await make_resident(session, 1)
    petition = await petitions.create(session, RULES, author, title=TITLE, text=TEXT)
    await session.commit()
    assert await outbox_keys(session, f"petition:{petition.id}:submitted") == [
        f"petition:{petition.id}:submitted:telegram:900"
    ]


# ---- moderation ---------------------------------------------------------------------------


async def test_approve_starts_collection_with_numbers_and_threshold_snapshot(session):
    author = await make_resident(session, 1)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    a = await petitions.create(session, RULES, author, title=TITLE, text=TEXT, now=now)
    b = await petitions.create(session, RULES, author, title=TITLE + " 2", text=TEXT, now=now)
    await petitions.approve(session, RULES, "telegram:900", b.id, now=now)
    other_rules = petitions.PetitionRules(threshold=999, period_days=30)
    approved = await petitions.approve(session, other_rules, "telegram:900", a.id, now=now)
    await session.commit()
    assert approved.status == PetitionStatus.COLLECTING
    assert as_utc(approved.deadline) == now + timedelta(days=30)
    assert approved.threshold == 999
    numbers = {p.id: p.number for p in await session.scalars(select(Petition))}
    assert numbers == {b.id: 1, a.id: 2}
    with pytest.raises(Conflict) as err:
        await petitions.approve(session, RULES, "telegram:900", a.id, now=now)
    assert err.value.message_key == "petition.error.already_moderated"
    texts = await outbox_texts(session, "1")
    assert any("№2" in t for t in texts)
    actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("petition.approve") == 2


async def test_council_channel_gets_public_notices(session):
    rules = petitions.PetitionRules(threshold=1, council_channel_id=-100500)
    author = await make_resident(session, 1)
    petition = await published(session, author, rules)
    await petitions.sign(session, rules, petition.id, author, channel=Channel.TELEGRAM)
    await session.commit()
    assert len(await outbox_texts(session, "-100500")) == 2


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        (RejectReason.DUPLICATE, PetitionStatus.REJECTED),
        (RejectReason.OUTSIDE_COMPETENCE, PetitionStatus.REJECTED),
        (RejectReason.NO_CLEAR_REQUEST, PetitionStatus.REJECTED),
        (RejectReason.OFFENSIVE, PetitionStatus.HIDDEN),
    ],
)
async def test_reject_with_reason(session, reason, status):
    author = await make_resident(session, 1)
    viewer = await make_resident(session, 2)
    petition = await petitions.create(session, RULES, author, title=TITLE, text=TEXT)
    rejected = await petitions.reject(
        session, RULES, "telegram:900", petition.id, reason, "Див. петицію №3 <b>"
    )
    await session.commit()
    assert rejected.status == status
    assert rejected.reject_reason == reason.value
    [text] = await outbox_texts(session, "1")
    assert "Див. петицію №3 &lt;b&gt;" in text
    with pytest.raises(NotFound):
        await petitions.card(session, petition.id, viewer.id)
    own = await petitions.card(session, petition.id, author.id)
    assert not own.can_sign
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "petition.reject"))
    assert entry is not None and entry.details["reason"] == reason.value


async def test_reject_bad_reason_and_long_comment(session):
    author = await make_resident(session, 1)
    petition = await petitions.create(session, RULES, author, title=TITLE, text=TEXT)
    with pytest.raises(InvalidInput):
        await petitions.reject(session, RULES, "a", petition.id, "boring")
    with pytest.raises(InvalidInput):
        await petitions.reject(session, RULES, "a", petition.id, "duplicate", "x" * 501)
    assert (await petitions.get(session, petition.id)).status == PetitionStatus.MODERATION


async def test_edit_typo_is_audited(session):
    author = await make_resident(session, 1)
    petition = await published(session, author)
    edited = await petitions.edit(session, RULES, "telegram:900", petition.id,
                                  title="Відремонтувати дорогу на вулиці Миру!")
    await session.commit()
    assert edited.title.endswith("!")
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "petition.edit"))
    assert entry is not None
    assert entry.details["title"] == {"old": TITLE, "new": edited.title}
    found = await petitions.list_petitions(session, petitions.ListKind.SEARCH, query="МИРУ!")
    assert [p.id for p in found.items] == [petition.id]
    with pytest.raises(InvalidInput):
        await petitions.edit(session, RULES, "a", petition.id, title=edited.title)
    # Only petitions in moderation or collecting may be edited.
    petition_row = await petitions.get(session, petition.id)
    petition_row.status = PetitionStatus.ANSWERED
    await session.flush()
    with pytest.raises(Conflict):
        await petitions.edit(session, RULES, "a", petition.id, text=TEXT + " ще")


# ---- signing ------------------------------------------------------------------------------


async def test_sign_once_and_withdraw(session):
    author = await make_resident(session, 1)
    signer = await make_resident(session, 2)
    petition = await published(session, author, petitions.PetitionRules(threshold=10))
    first = await petitions.sign(session, RULES, petition.id, signer, channel=Channel.TELEGRAM)
    second = await petitions.sign(session, RULES, petition.id, signer, channel=Channel.TELEGRAM)
    await session.commit()
    assert (first.signed, first.count) == (True, 1)
    assert (second.signed, second.count) == (False, 1)
    view = await petitions.card(session, petition.id, signer.id)
    assert view.signed and view.can_withdraw and not view.can_sign
    assert await petitions.withdraw(session, petition.id, signer.id) == 0
    await session.commit()
    with pytest.raises(Conflict) as err:
        await petitions.withdraw(session, petition.id, signer.id)
    assert err.value.message_key == "petition.error.not_signed"
    assert await session.scalar(select(func.count()).select_from(Signature)) == 0
    again = await petitions.sign(session, RULES, petition.id, signer, channel=Channel.TELEGRAM)
    assert again.signed and again.count == 1


async def test_a_second_profile_of_the_same_phone_is_not_counted(session):
    author = await make_resident(session, 1)
    petition = await published(session, author)
    before = await make_resident(session, 2)
    again = await make_resident(session, 3)
    before.phone_hash = again.phone_hash = "same-phone"
    await session.flush()
    first = await petitions.sign(session, RULES, petition.id, before, channel=Channel.TELEGRAM)
    second = await petitions.sign(session, RULES, petition.id, again, channel=Channel.TELEGRAM)
    await session.commit()
    assert (first.signed, first.count) == (True, 1)
    assert (second.signed, second.count) == (False, 1)
    assert await session.scalar(select(func.count()).select_from(Signature)) == 1
    stored = await session.scalar(select(Petition.signature_count)
                                  .where(Petition.id == petition.id))
    assert stored == 1


async def test_sign_needs_verified_profile_and_open_petition(session):
    author = await make_resident(session, 1)
    unverified = await make_resident(session, 2, complete=False)
    signer = await make_resident(session, 3)
    draft = await petitions.create(session, RULES, author, title=TITLE, text=TEXT)
    with pytest.raises(PermissionDenied):
        await petitions.sign(session, RULES, draft.id, unverified, channel=Channel.TELEGRAM)
    with pytest.raises(NotFound):
        await petitions.sign(session, RULES, draft.id, signer,
                             channel=Channel.TELEGRAM)  # not public yet
    with pytest.raises(NotFound):
        await petitions.sign(session, RULES, 424242, signer, channel=Channel.TELEGRAM)
    now = utcnow()
    old = await published(session, author, now=now - timedelta(days=31))
    with pytest.raises(Conflict) as err:
        await petitions.sign(session, RULES, old.id, signer, now=now, channel=Channel.TELEGRAM)
    assert err.value.message_key == "petition.error.closed"


async def test_threshold_event_fires_once_and_signing_continues(session):
    await make_moderator(session, 900)
    author = await make_resident(session, 1)
    signers = [await make_resident(session, n) for n in range(2, 7)]
    petition = await published(session, author)
    results = []
    for s in signers:
        results.append(await petitions.sign(session, RULES, petition.id, s,
                                            channel=Channel.TELEGRAM))
        await session.commit()
    assert [r.threshold_reached for r in results] == [False, False, True, False, False]
    assert [r.count for r in results] == [1, 2, 3, 4, 5]
    row = await petitions.get(session, petition.id)
    await session.refresh(row)
    assert row.status == PetitionStatus.AWAITING_ANSWER
    assert row.reached_at is not None and row.answer_due_at is not None
    keys = await outbox_keys(session, f"petition:{petition.id}:threshold")
    # The author, the three signers at the time, and the moderator — once each.
    assert keys == sorted(
        f"petition:{petition.id}:threshold:telegram:{chat}" for chat in ("1", "2", "3", "4", "900")
    )
    # Withdrawing after the threshold is not allowed.
    with pytest.raises(Conflict):
        await petitions.withdraw(session, petition.id, signers[0].id)


async def test_threshold_message_uses_ukrainian_plurals(session):
    author = await make_resident(session, 1)
    en = await make_resident(session, 2, lang="en")
    rules = petitions.PetitionRules(threshold=2)
    petition = await published(session, author, rules)
    await petitions.sign(session, rules, petition.id, author, channel=Channel.TELEGRAM)
    await petitions.sign(session, rules, petition.id, en, channel=Channel.TELEGRAM)
    await session.commit()
    uk_text = (await outbox_texts(session, "1"))[-1]
    en_text = (await outbox_texts(session, "2"))[-1]
    assert "2 підписи" in uk_text
    assert "2 signatures" in en_text


async def test_concurrent_signing_counts_each_resident_once(sessionmaker):
    async with sessionmaker() as session:
        await make_moderator(session, 900)
        author = await make_resident(session, 1)
        signers = [await make_resident(session, n) for n in range(2, 32)]
        petition = await published(session, author, petitions.PetitionRules(threshold=10))
        await session.commit()
    pid = petition.id
    rules = petitions.PetitionRules(threshold=10)

    async def attempt(resident_id: int) -> petitions.SignResult:
        async with sessionmaker() as session:
            resident = await session.get(Resident, resident_id)
            result = await petitions.sign(session, rules, pid, resident, channel=Channel.TELEGRAM)
            await session.commit()
            return result

    # Every resident presses three times at once, from separate sessions.
    results = await asyncio.gather(*(attempt(s.id) for s in signers for _ in range(3)))
    assert sum(r.signed for r in results) == 30
    assert sum(r.threshold_reached for r in results) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Signature)) == 30
        row = await session.get(Petition, pid)
        assert row is not None and row.signature_count == 30
        assert row.status == PetitionStatus.AWAITING_ANSWER
        keys = await outbox_keys(session, f"petition:{pid}:threshold")
        assert len(keys) == len(set(keys)) == 1 + 10 + 1  # author, first ten signers, moderator


async def test_threshold_crossing_is_exactly_once_across_processes(database_url):
    """Two engines (as two processes would have) race on the last signatures."""
    from services.db import make_engine, make_sessionmaker

    engines = [make_engine(database_url), make_engine(database_url)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        rules = petitions.PetitionRules(threshold=8)
        async with makers[0]() as session:
            author = await make_resident(session, 1)
            signer_ids = [(await make_resident(session, n)).id for n in range(2, 18)]
            petition = await published(session, author, rules)
            await session.commit()

        async def attempt(i: int, resident_id: int) -> bool:
            async with makers[i % 2]() as session:
                resident = await session.get(Resident, resident_id)
                result = await petitions.sign(session, rules, petition.id, resident,
                                              channel=Channel.TELEGRAM)
                await session.commit()
                return result.threshold_reached

        reached = await asyncio.gather(*(attempt(i, r) for i, r in enumerate(signer_ids)))
        assert sum(reached) == 1
        async with makers[1]() as session:
            assert (await session.get(Petition, petition.id)).signature_count == 16
    finally:
        for engine in engines:
            await engine.dispose()


# ---- browsing -----------------------------------------------------------------------------


async def test_lists_order_page_and_search(session):
    author = await make_resident(session, 1)
    me = await make_resident(session, 2)
    base = utcnow() - timedelta(days=5)
    created = []
    for i in range(12):
        rules = petitions.PetitionRules(threshold=100, period_days=10 + i)
        p = await petitions.create(
            session, rules, author,
            title=f"Петиція про парк номер {i}" if i % 3 == 0 else f"Дорога номер {i}",
            text=TEXT, now=base + timedelta(hours=i),
        )
        await petitions.approve(session, rules, "a", p.id, now=base + timedelta(hours=i))
        created.append(p)
    for p in created[:3]:
        await petitions.sign(session, RULES, p.id, me, channel=Channel.TELEGRAM)
    await petitions.sign(session, RULES, created[1].id, author, channel=Channel.TELEGRAM)
    await session.commit()

    newest = await petitions.list_petitions(session, petitions.ListKind.NEWEST)
    assert [p.id for p in newest.items] == [p.id for p in reversed(created)][:5]
    assert (newest.total, newest.pages, newest.has_prev, newest.has_next) == (12, 3, False, True)
    last = await petitions.list_petitions(session, petitions.ListKind.NEWEST, page=7)
    assert last.page == 2 and len(last.items) == 2 and not last.has_next

    top = await petitions.list_petitions(session, petitions.ListKind.MOST_SIGNED)
    assert top.items[0].id == created[1].id
    ending = await petitions.list_petitions(session, petitions.ListKind.ENDING_SOON)
    assert ending.items[0].id == created[0].id

    found = await petitions.list_petitions(session, petitions.ListKind.SEARCH, query="ПАРК")
    assert {p.id for p in found.items} == {created[i].id for i in (0, 3, 6, 9)}
    none = await petitions.list_petitions(session, petitions.ListKind.SEARCH, query="місяць")
    assert none.total == 0 and none.items == []
    with pytest.raises(InvalidInput):
        await petitions.list_petitions(session, petitions.ListKind.SEARCH, query=" ")

    mine = await petitions.list_petitions(session, petitions.ListKind.MINE, viewer_id=author.id)
    assert mine.total == 12
    signed = await petitions.list_petitions(session, petitions.ListKind.SIGNED, viewer_id=me.id)
    assert {p.id for p in signed.items} == {p.id for p in created[:3]}


async def test_card_shows_public_name_only(session):
    author = await make_resident(session, 1)
    petition = await published(session, author)
    view = await petitions.card(session, petition.id, None)
    assert view.author_name == "Мешканець Номер1"
    assert view.can_sign and not view.signed and view.days_left == 30
    assert not hasattr(view, "phone")
    with pytest.raises(NotFound):
        await petitions.card(session, 9999, None)


async def test_moderation_queue_oldest_first_with_overdue(session):
    author = await make_resident(session, 1)
    other = await make_resident(session, 2)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
    old = await petitions.create(session, RULES, author, title=TITLE, text=TEXT,
                                 now=now - timedelta(days=5))
    new = await petitions.create(session, RULES, other, title=TITLE, text=TEXT,
                                 now=now - timedelta(hours=1))
    items, page = await petitions.moderation_queue(session, now=now)
    assert [i.petition.id for i in items] == [old.id, new.id]
    assert [i.overdue for i in items] == [True, False]
    assert items[0].waited == timedelta(days=5)
    assert page.total == 2


# ---- answers and export -------------------------------------------------------------------


async def test_consider_and_answer_reach_signers_and_author_once(session):
    author = await make_resident(session, 1)
    signers = [await make_resident(session, n) for n in (2, 3, 4)]
    petition = await published(session, author)
    with pytest.raises(Conflict):
        await petitions.mark_under_consideration(session, "m", petition.id)
    for s in signers:
        await petitions.sign(session, RULES, petition.id, s, channel=Channel.TELEGRAM)
    await petitions.mark_under_consideration(session, "m", petition.id)
    with pytest.raises(InvalidInput):
        await petitions.publish_answer(session, RULES, "m", petition.id, "maybe", "Так")
    with pytest.raises(InvalidInput):
        await petitions.publish_answer(session, RULES, "m", petition.id, "supported", "  ")
    answered = await petitions.publish_answer(
        session, RULES, "m", petition.id, "partly", "Ремонт заплановано на <2027> рік."
    )
    await session.commit()
    assert answered.status == PetitionStatus.ANSWERED and answered.answer_kind == "partly"
    keys = await outbox_keys(session, f"petition:{petition.id}:answer")
    assert keys == sorted(f"petition:{petition.id}:answer:telegram:{c}" for c in "1234")
    assert "&lt;2027&gt;" in (await outbox_texts(session, "2"))[-1]
    with pytest.raises(Conflict):
        await petitions.publish_answer(session, RULES, "m", petition.id, "supported", "Ще раз")
    view = await petitions.card(session, petition.id, None)
    assert view.petition.answer_text == "Ремонт заплановано на <2027> рік."
    assert not view.can_sign


async def test_export_signatures_csv_is_audited(session):
    author = await make_resident(session, 1)
    petition = await published(session, author, petitions.PetitionRules(threshold=10))
    for n in (2, 3):
        await petitions.sign(session, RULES, petition.id, await make_resident(session, n),
                             channel=Channel.TELEGRAM)
    data = await petitions.export_signatures(session, "telegram:900", petition.id,
                                             ("ПІБ", "Адреса", "Дата"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["ПІБ", "Адреса", "Дата"]
    assert [r[0] for r in rows[1:]] == ["Мешканець Номер2", "Мешканець Номер3"]
    assert rows[1][1] == "вул. Миру, 3"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "petition.export"))
    assert entry is not None and entry.details == {"rows": 2}


# ---- scheduler ----------------------------------------------------------------------------


async def test_collection_over_closes_once_and_tells_author_and_moderators(sessionmaker,
                                                                        jobs_registry):
    async with sessionmaker() as session:
        await make_moderator(session, 900)
        author = await make_resident(session, 1)
        petition = await published(session, author, now=utcnow() - timedelta(days=31))
        other = await published(session, author, title=TITLE + " 2")
        await session.commit()
    await jobs.run_tick(sessionmaker, "w1", jobs_registry)
    await jobs.run_tick(sessionmaker, "w2", jobs_registry)
    async with sessionmaker() as session:
        assert (await session.get(Petition, petition.id)).status == (
            PetitionStatus.NOT_ENOUGH_SIGNATURES
        )
        assert (await session.get(Petition, other.id)).status == PetitionStatus.COLLECTING
        keys = await outbox_keys(session, f"petition:{petition.id}:expired")
        assert keys == [f"petition:{petition.id}:expired:telegram:{c}" for c in ("1", "900")]


async def test_answer_due_counts_working_days_and_extra_days_off(session):
    timeutil.configure(extra_days_off=[date(2026, 11, 25)])
    author = await make_resident(session, 1)
    signer = await make_resident(session, 2)
    friday = datetime(2026, 11, 20, 12, 0, tzinfo=council_zone()).astimezone(UTC)
    rules = petitions.PetitionRules(threshold=1)
    petition = await published(session, author, rules, now=friday)
    await petitions.sign(session, rules, petition.id, signer, now=friday, channel=Channel.TELEGRAM)
    await session.commit()
    row = await session.get(Petition, petition.id, populate_existing=True)
    due = as_utc(row.answer_due_at).astimezone(council_zone())
    # 10 working days from Friday 20th, skipping two weekends and Wednesday 25th (a day off),
    # due by the end of that day.
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 7), 23, 59)
    timeutil.configure()
    assert timeutil.statutory_deadline(friday, 10, working_days=True) == date(2026, 12, 4)


async def test_answer_overdue_reminds_daily(session):
    await make_moderator(session, 900)
    author = await make_resident(session, 1)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    rules = petitions.PetitionRules(threshold=1)
    petition = await published(session, author, rules, now=start)
    await petitions.sign(session, rules, petition.id, author, now=start, channel=Channel.TELEGRAM)
    await session.commit()
    day1 = start + timedelta(days=15)
    assert await petitions.remind_answer_overdue(session, day1 - timedelta(days=2)) == 0
    assert await petitions.remind_answer_overdue(session, day1) == 1
    assert await petitions.remind_answer_overdue(session, day1 + timedelta(hours=2)) == 0
    assert await petitions.remind_answer_overdue(session, day1 + timedelta(days=1)) == 1
    await petitions.publish_answer(session, rules, "m", petition.id, "supported", "Зроблено.")
    assert await petitions.remind_answer_overdue(session, day1 + timedelta(days=2)) == 0


async def test_moderation_overdue_warns_once(session):
    await make_moderator(session, 900)
    author = await make_resident(session, 1)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await petitions.create(session, RULES, author, title=TITLE, text=TEXT, now=monday)
    assert await petitions.warn_moderation_overdue(session, monday + timedelta(days=1)) == 0
    assert await petitions.warn_moderation_overdue(session, monday + timedelta(days=3)) == 1
    assert await petitions.warn_moderation_overdue(session, monday + timedelta(days=4)) == 0


def test_signature_plurals_in_both_languages():
    from services.i18n import Translator

    t = Translator()
    uk = [t.ngettext("uk", "petition.signatures", n) for n in (1, 2, 5, 11, 21, 22, 25)]
    assert uk == ["1 підпис", "2 підписи", "5 підписів", "11 підписів", "21 підпис",
                  "22 підписи", "25 підписів"]
    assert [t.ngettext("en", "petition.signatures", n) for n in (1, 2)] == [
        "1 signature", "2 signatures"]
