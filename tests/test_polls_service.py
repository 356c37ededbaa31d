"""Poll service rules on the selected backend: moderators' steps, answering, views, export."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.db import utcnow
from services.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import get_translator
from services.models import AuditEntry, Channel, Resident
from services.polls import answers, export, listing, manage, results
from services.polls.access import Staff
from services.polls.eligibility import Access
from services.polls.models import Poll, PollAnswer, PollChoice, PollStatus
from services.residents import forget
from tests.polls_support import (
    DISTRICTS,
    MODERATOR,
    RULES,
    make_moderator,
    make_resident,
    option_ids,
    published,
    spec,
)

STRANGER = Staff("telegram", "901")


async def raises(error: type[DomainError], coro) -> str:
    with pytest.raises(error) as err:
        await coro
    return err.value.message_key


async def test_moderator_creates_previews_publishes_once(session):
    await make_moderator(session)
    now = utcnow()
    draft = await manage.create_draft(session, RULES, DISTRICTS, MODERATOR,
                                      spec(now, districts=("північний",)), now=now)
    assert draft.status == PollStatus.DRAFT and draft.districts == ["Північний"]
    resident = await make_resident(session, 1, district="Північний")
    # A draft is the moderator's preview: residents cannot open it.
    assert await raises(NotFound, answers.poll_view(session, DISTRICTS, draft.id, resident)) == (
        "polls.error.not_found")
    poll = await manage.publish(session, MODERATOR, draft.id, draft.version, now=now)
    assert poll.status == PollStatus.PUBLISHED and poll.published_at is not None
    # The double press of "publish" is refused, not a second publication.
    assert await raises(Conflict, manage.publish(session, MODERATOR, draft.id, poll.version)) == (
        "polls.error.already_published")
    actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["poll.create", "poll.publish"]


async def test_non_staff_cannot_use_any_staff_function(session):
    await make_moderator(session)
    poll = await published(session)
    now = utcnow()
    calls = [
        manage.create_draft(session, RULES, DISTRICTS, STRANGER, spec(now), now=now),
        manage.publish(session, STRANGER, poll.id, poll.version),
        manage.edit_texts(session, RULES, STRANGER, poll.id, poll.version, question="Інше?"),
        manage.close_early(session, STRANGER, poll.id),
        manage.discard_draft(session, STRANGER, poll.id),
        results.live_tally(session, STRANGER, poll.id, now=now),
        export.export_answers(session, STRANGER, poll.id),
        listing.list_polls(session, listing.PollList.STAFF, staff=STRANGER),
        listing.list_polls(session, listing.PollList.STAFF),
    ]
    for call in calls:
        assert await raises(PermissionDenied, call) == "polls.error.not_staff"
    assert (await session.get(Poll, poll.id, populate_existing=True)).status == "published"


async def test_edit_texts_only_before_the_first_answer(session):
    await make_moderator(session)
    poll = await published(session)
    resident = await make_resident(session, 1)
    seen = poll.version
    edited = await manage.edit_texts(session, RULES, MODERATOR, poll.id, seen,
                                     question="Чи потрібен новий сквер?",
                                     options=["Так", "Ні"])
    assert edited.version == seen + 1 and edited.question == "Чи потрібен новий сквер?"
    assert len(await option_ids(session, poll.id)) == 2
    # A stale edit (the version the moderator saw is old) changes nothing.
    assert await raises(Conflict, manage.edit_texts(session, RULES, MODERATOR, poll.id,
                                                    seen, question="Ще інше?")) == (
        "polls.error.changed")
    assert await raises(InvalidInput, manage.edit_texts(
        session, RULES, MODERATOR, poll.id, edited.version, options=["Так", "так"])) == (
        "polls.error.option_duplicate")
    assert await raises(InvalidInput, manage.edit_texts(
        session, RULES, MODERATOR, poll.id, edited.version)) == "polls.error.nothing_to_change"
    first = (await option_ids(session, poll.id))[0]
    await answers.answer(session, DISTRICTS, poll.id, resident, [first],
                         seen_version=edited.version, channel=Channel.TELEGRAM)
    assert await raises(Conflict, manage.edit_texts(session, RULES, MODERATOR, poll.id,
                                                    edited.version, description="Пояснення")) == (
        "polls.error.has_answers")


async def test_answer_change_and_double_tap(session):
    await make_moderator(session)
    poll = await published(session)
    resident = await make_resident(session, 1)
    yes, no, _ = await option_ids(session, poll.id)
    view = await answers.poll_view(session, DISTRICTS, poll.id, resident)
    assert view.access is Access.CAN_ANSWER and not view.answered and view.results is None
    first = await answers.answer(session, DISTRICTS, poll.id, resident, [yes],
                                 seen_version=poll.version, channel=Channel.TELEGRAM)
    assert first.first and first.changed
    again = await answers.answer(session, DISTRICTS, poll.id, resident, [yes],
                                 seen_version=poll.version, channel=Channel.TELEGRAM)
    assert not again.first and not again.changed  # a double tap writes nothing
    changed = await answers.answer(session, DISTRICTS, poll.id, resident, [no],
                                   channel="viber", seen_version=poll.version)
    assert changed.changed and not changed.first
    await session.commit()
    view = await answers.poll_view(session, DISTRICTS, poll.id, resident)
    assert view.my_choices == {no}
    assert (await session.get(Poll, poll.id, populate_existing=True)).answer_count == 1
    assert await session.scalar(select(func.count()).select_from(PollChoice)) == 1


async def test_bad_answers(session):
    await make_moderator(session)
    single = await published(session)
    multi = await published(session, multiple=True, max_choices=2,
                            options=("Сквер", "Парковка", "Майданчик", "Нічого"))
    resident = await make_resident(session, 1)
    s_ids = await option_ids(session, single.id)
    m_ids = await option_ids(session, multi.id)
    ans = functools.partial(answers.answer, channel=Channel.TELEGRAM)
    assert await raises(NotFound, ans(session, DISTRICTS, 10**6, resident, [1])) == (
        "polls.error.not_found")
    assert await raises(InvalidInput, ans(session, DISTRICTS, single.id, resident, [])) == (
        "polls.error.choose_one")
    assert await raises(InvalidInput, ans(session, DISTRICTS, single.id, resident, s_ids[:2])
                        ) == "polls.error.too_many_choices"
    assert await raises(InvalidInput, ans(session, DISTRICTS, multi.id, resident, m_ids[:3])
                        ) == "polls.error.too_many_choices"
    # A selection kept by the dialog from before an edit: options of another poll / version.
    assert await raises(Conflict, ans(session, DISTRICTS, multi.id, resident, s_ids[:1])) == (
        "polls.error.stale_selection")
    assert await raises(Conflict, ans(session, DISTRICTS, multi.id, resident, m_ids[:1],
                                      seen_version=multi.version - 1)) == "polls.error.changed"
    # Toggling: in, in, the third refused (max 2), out again; an unknown option is stale.
    picked = answers.toggle(multi, m_ids, set(), m_ids[0])
    picked = answers.toggle(multi, m_ids, picked, m_ids[1])
    assert await raises(InvalidInput, _async(lambda: answers.toggle(multi, m_ids, picked,
                                                                    m_ids[2]))) == (
        "polls.error.too_many_choices")
    assert answers.toggle(multi, m_ids, picked, m_ids[0]) == {m_ids[1]}
    assert await raises(Conflict, _async(lambda: answers.toggle(multi, m_ids, picked,
                                                                s_ids[0]))) == (
        "polls.error.stale_selection")
    outcome = await ans(session, DISTRICTS, multi.id, resident, picked, seen_version=multi.version)
    assert outcome.choices == set(m_ids[:2])
    # Closed early: no more answers or changes.
    await manage.close_early(session, MODERATOR, multi.id)
    assert await raises(Conflict, ans(session, DISTRICTS, multi.id, resident, m_ids[:1])) == (
        "polls.error.closed")
    assert await raises(Conflict, manage.close_early(session, MODERATOR, multi.id)) == (
        "polls.error.closed")


async def _async(fn):
    return fn()


async def test_who_may_answer(session):
    await make_moderator(session)
    now = utcnow()
    city = await published(session)
    north = await published(session, districts=("Північний",))
    later = await published(session, opens_at=now + timedelta(days=1))
    unverified = await make_resident(session, 1, verified=False)
    neighbour = await make_resident(session, 2, district="Північний")
    elsewhere = await make_resident(session, 3, district="Південний")
    never_asked = await make_resident(session, 4)
    dont_know = await make_resident(session, 5, asked=True)
    view = answers.poll_view
    assert (await view(session, DISTRICTS, city.id, None)).access is Access.NOT_VERIFIED
    assert (await view(session, DISTRICTS, city.id, unverified)).access is Access.NOT_VERIFIED
    assert (await view(session, DISTRICTS, city.id, never_asked)).access is Access.CAN_ANSWER
    assert (await view(session, DISTRICTS, north.id, neighbour)).access is Access.CAN_ANSWER
    assert (await view(session, DISTRICTS, north.id, elsewhere)).access is (
        Access.NOT_YOUR_DISTRICT)
    assert (await view(session, DISTRICTS, north.id, never_asked)).access is Access.ASK_DISTRICT
    assert (await view(session, DISTRICTS, north.id, dont_know)).access is (
        Access.DISTRICT_UNKNOWN)
    assert (await view(session, DISTRICTS, later.id, neighbour)).access is Access.NOT_OPEN_YET
    opt = (await option_ids(session, north.id))[0]
    cases = [(unverified, city, PermissionDenied, "polls.error.not_verified"),
             (elsewhere, north, PermissionDenied, "polls.error.not_your_district"),
             (never_asked, north, PermissionDenied, "polls.error.district_needed"),
             (neighbour, later, Conflict, "polls.error.not_open_yet")]
    for who, poll, error, key in cases:
        ids = await option_ids(session, poll.id)
        assert await raises(error, answers.answer(session, DISTRICTS, poll.id, who, ids[:1],
                                                  channel=Channel.TELEGRAM)) == key
    outcome = await answers.answer(session, DISTRICTS, north.id, neighbour, [opt],
                                   channel=Channel.TELEGRAM)
    assert outcome.first
    assert await session.scalar(select(PollAnswer.district)) == "Північний"


async def test_one_answer_per_phone_across_forget(session):
    await make_moderator(session)
    poll = await published(session)
    pid = poll.id
    yes, no, _ = await option_ids(session, pid)
    before = await make_resident(session, 1, phone_hash="same-phone")
    await answers.answer(session, DISTRICTS, pid, before, [yes], channel=Channel.TELEGRAM)
    await forget(session, before, phone_secret="s")
    await session.commit()
    # The same number comes back as a new profile: their earlier answer still counts as theirs.
    again = await make_resident(session, 2, phone_hash="same-phone")
    view = await answers.poll_view(session, DISTRICTS, pid, again)
    assert view.answered_before and view.answered and not view.my_choices
    assert await raises(Conflict, answers.answer(session, DISTRICTS, pid, again, [no],
                                                 channel=Channel.TELEGRAM)) == (
        "polls.error.answered_before")
    await session.rollback()
    other = await make_resident(session, 3)
    assert (await answers.answer(session, DISTRICTS, pid, other, [no],
                                 channel=Channel.TELEGRAM)).first
    await session.commit()
    tally = await results.tally(session, await manage.get_poll(session, pid), now=utcnow())
    assert tally.respondents == 2 and [line.count for line in tally.lines] == [1, 1, 0]


async def test_one_answer_per_resident_under_concurrency(sessionmaker):
    async with sessionmaker() as session:
        await make_moderator(session)
        poll = await published(session)
        ids = await option_ids(session, poll.id)
        people = [(await make_resident(session, n)).id for n in range(1, 16)]
        await session.commit()

    async def attempt(resident_id: int, option: int) -> bool | str:
        async with sessionmaker() as session:
            resident = await session.get(Resident, resident_id)
            try:
                outcome = await answers.answer(session, DISTRICTS, poll.id, resident, [option],
                                               seen_version=poll.version, channel=Channel.TELEGRAM)
                await session.commit()
                return outcome.first
            except Conflict as exc:  # lost a race on a change: told to look again
                await session.rollback()
                return exc.message_key

    # Each resident taps three options at once, from separate sessions.
    outcomes = await asyncio.gather(*(attempt(r, o) for r in people for o in ids))
    assert sum(1 for o in outcomes if o is True) == 15
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 15
        per_answer = await session.execute(select(PollChoice.answer_id, func.count())
                                           .group_by(PollChoice.answer_id))
        assert all(count == 1 for _, count in per_answer)
        assert (await session.get(Poll, poll.id)).answer_count == 15


async def test_results_visibility_tally_and_text(session):
    await make_moderator(session)
    hidden = await published(session)
    live = await published(session, results_while_open=True, multiple=True, max_choices=3)
    people = [await make_resident(session, n) for n in range(1, 4)]
    h_ids, l_ids = await option_ids(session, hidden.id), await option_ids(session, live.id)
    for who, picks in zip(people, ([0], [0, 1], [0]), strict=True):
        await answers.answer(session, DISTRICTS, hidden.id, who, [h_ids[picks[0]]],
                             channel=Channel.TELEGRAM)
        await answers.answer(session, DISTRICTS, live.id, who, [l_ids[i] for i in picks],
                             channel=Channel.TELEGRAM)
    now = utcnow()
    assert (await answers.poll_view(session, DISTRICTS, hidden.id, people[0])).results is None
    running = (await answers.poll_view(session, DISTRICTS, live.id, people[0])).results
    assert running is not None and not running.closed
    assert [(ln.count, ln.percent) for ln in running.lines] == [(3, 100), (1, 33), (0, 0)]
    staff_view = await results.live_tally(session, MODERATOR, hidden.id, now=now)
    assert [ln.count for ln in staff_view.lines] == [3, 0, 0]
    await manage.close_early(session, MODERATOR, hidden.id)
    final = (await answers.poll_view(session, DISTRICTS, hidden.id, people[0])).results
    assert final is not None and final.closed and final.leaders == (h_ids[0],)
    uk = results.results_text(get_translator().for_language("uk"), final)
    en = results.results_text(get_translator().for_language("en"), running)
    assert "Відповіли 3 особи" in uk and "🏆 Так\n<code>▓▓▓▓▓▓▓▓▓▓</code> 3 · 100%" in uk
    assert "<code>░░░░░░░░░░</code> 0 · 0%" in uk
    assert "3 people answered" in en and "more than 100" in en and "🏆" not in en
    assert results.bar(33) == "▓▓▓░░░░░░░" and results.bar(1) == "▓░░░░░░░░░"
    assert results.percent_of(1, 8) == 13 and results.percent_of(0, 0) == 0


async def test_lists_are_paged(session):
    await make_moderator(session)
    now = utcnow()
    opened = [await published(session, closes_at=now + timedelta(days=d)) for d in (3, 1, 2)]
    await published(session, opens_at=now + timedelta(days=1))  # not open yet
    draft = await manage.create_draft(session, RULES, DISTRICTS, MODERATOR, spec())
    await manage.close_early(session, MODERATOR, opened[0].id)
    rules = RULES.__class__(page_size=1)
    first = await listing.list_polls(session, listing.PollList.OPEN, rules=rules)
    assert first.total == 2 and first.pages == 2 and first.has_next and not first.has_prev
    assert first.items[0].id == opened[1].id  # closing soonest first
    last = await listing.list_polls(session, listing.PollList.OPEN, page=99, rules=rules)
    assert last.page == 1 and last.items[0].id == opened[2].id
    closed = await listing.list_polls(session, listing.PollList.CLOSED)
    assert [p.id for p in closed.items] == [opened[0].id]
    staff = await listing.list_polls(session, listing.PollList.STAFF, staff=MODERATOR)
    assert staff.total == 5 and staff.items[0].id == draft.id
    assert await manage.discard_draft(session, MODERATOR, draft.id)
    assert not await manage.discard_draft(session, MODERATOR, opened[1].id)


async def test_export_is_anonymous_and_audited(session):
    await make_moderator(session)
    poll = await published(session, options=("=HYPERLINK(1)", "Ні"))
    ids = await option_ids(session, poll.id)
    for n, district, option in ((1, "Північний", 1), (2, None, 0), (3, "Центральний", 0)):
        who = await make_resident(session, n, district=district)
        await answers.answer(session, DISTRICTS, poll.id, who, [ids[option]],
                             channel=Channel.TELEGRAM)
    name, data = await export.export_answers(session, MODERATOR, poll.id,
                                             unknown_district="невідомо")
    assert name == f"poll-{poll.id}-answers.csv" and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["district", "option_number", "option"],
                    ["Північний", "2", "Ні"],
                    ["Центральний", "1", "'=HYPERLINK(1)"],
                    ["невідомо", "1", "'=HYPERLINK(1)"]]
    text = data.decode("utf-8-sig")
    assert "Мешканець" not in text and "+380" not in text
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "poll.export"))
    assert entry is not None and entry.actor == MODERATOR.key and entry.details == {"rows": 3}
