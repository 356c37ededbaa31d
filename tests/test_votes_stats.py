"""What the vote screens will show, against numbers worked out by hand, on both backends.

The council sample (tests/samples/votes/council): factions «Світанок» = Коваленко (D1),
Іваненко (D2), Ґонтар (D3); «Рух» = Шевчук (D4), Мельник (D5); Арʼєв (D6) outside any faction.

            D1       D2        D3        D4       D5        D6
    V1 (+)  за       за        проти     за       утрим.    відсутній
    V2 (-)  проти    проти     проти     за       за        за
    V3 (+)  за       не гол.   за        відс.    за        за
    V4 (-)  відс.    за        утрим.    проти    не гол.   утрим.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.models import Channel, Resident
from services.votes import follow, publishing, queries, stats
from services.votes.access import Actor
from services.votes.archive import UploadedFile
from services.votes.models import DecisionResult, Deputy, VoteEvent, VoteSession, VoteValue
from services.votes.stats import RULES
from services.votes.views import Share
from tests.votes_support import OWN, SHELL, council_files, run_import, upload


async def _deputies(session) -> dict[str, int]:
    rows = await session.execute(select(Deputy.voting_id, Deputy.id))
    return {f"D{int(v) - 100}": i for v, i in rows}


async def _events(session) -> dict[str, int]:
    rows = await session.execute(select(VoteEvent.source_key, VoteEvent.id))
    return {f"V{key[-1]}": i for key, i in rows}


@pytest.fixture
async def council(session):
    """The council sample imported and its session published."""
    assert (await run_import(session, council_files())).ok
    sessions = (await session.scalars(select(VoteSession.id))).all()
    await publishing.publish_session(session, SHELL, sessions[0])
    await session.commit()
    return await _deputies(session), await _events(session)


@pytest.mark.parametrize(("deputy", "attendance", "against"), [
    ("D1", (3, 4), (0, 1)),  # V1, V3 tie in the faction; V4 absent
    ("D2", (4, 4), (2, 3)),  # V3 not voting while the others were for; V4 for against not-for
    ("D3", (4, 4), (2, 3)),  # V1 against the others' for; V4 abstained while D2 voted for
    ("D4", (3, 4), (1, 3)),  # V1 for while D5 abstained; V3 absent
    ("D5", (4, 4), (1, 3)),  # V1 abstained while D4 voted for; V3 D4 absent: not counted
    ("D6", (3, 4), None),    # outside any faction
])
async def test_attendance_and_votes_against_the_faction(session, council, deputy, attendance,
                                                        against):
    deputies, _ = council
    card = await stats.deputy_card(session, deputies[deputy])
    assert (card.attendance.part, card.attendance.whole) == attendance
    if against is None:
        assert card.against_faction is None and card.unaffiliated
    else:
        assert card.against_faction is not None
        assert (card.against_faction.part, card.against_faction.whole) == against
    assert (card.attendance_rule, card.against_faction_rule) == (
        "votes.rule.attendance", "votes.rule.against_faction")


async def test_deputy_card_details_and_latest_votes(session, council):
    deputies, events = council
    card = await stats.deputy_card(session, deputies["D2"], latest=3)
    assert card.deputy.name == "Іваненко Петро Миколайович"
    assert card.deputy.faction == "Фракція «Світанок»" and card.deputy.district == 2
    assert card.attendance.percent == 100.0 and card.against_faction == Share(2, 3)
    assert card.against_faction.percent == 66.7
    assert card.email == "dep2@rada.example.ua" and card.opening_hours == "Пн,Пт 09:00-12:00"
    # Newest first: item 4, 3, 2 of the same day.
    assert [(v.event_id, v.value) for v in card.latest] == [
        (events["V4"], VoteValue.FOR), (events["V3"], VoteValue.NOT_VOTING),
        (events["V2"], VoteValue.AGAINST)]
    page = await stats.deputy_votes(session, deputies["D2"], page=1, page_size=3)
    assert (page.total, page.pages, [v.event_id for v in page.items]) == (4, 2, [events["V1"]])
    with pytest.raises(NotFound):
        await stats.deputy_card(session, 99999)


async def test_unpublished_sessions_are_neither_shown_nor_counted(session):
    await run_import(session, council_files())
    deputies, events = await _deputies(session), await _events(session)
    card = await stats.deputy_card(session, deputies["D2"])
    assert card.attendance == Share(0, 0) and card.attendance.percent is None
    assert card.latest == ()
    with pytest.raises(NotFound):
        await queries.decision_card(session, events["V1"])
    assert (await queries.latest_sessions(session)).total == 0
    staff_view = await queries.latest_sessions(session, include_unpublished=True)
    assert [(s.votes, s.adopted, s.published) for s in staff_view.items] == [(4, 2, False)]
    preview = await queries.decision_card(session, events["V1"], include_unpublished=True)
    assert not preview.published


async def test_decision_card(session, council):
    deputies, events = council
    card = await queries.decision_card(session, events["V1"])
    assert (card.title, card.project_number, card.result) == (
        "Про затвердження порядку денного", "757/1", DecisionResult.ADOPTED)
    assert (card.counts.for_, card.counts.against, card.counts.abstain, card.counts.not_voting,
            card.counts.absent) == (3, 1, 1, 0, 1)
    assert card.counts_published and card.published and card.roll_size == 6
    assert card.source_url == "https://rada.example.ua/docs/757-1.html"
    assert card.session_label == "1 сесія, 8 скликання"
    factions = [(f.name, f.unaffiliated, (f.counts.for_, f.counts.against, f.counts.abstain,
                                          f.counts.absent)) for f in card.factions]
    assert factions == [("Фракція «Світанок»", False, (2, 1, 0, 0)),
                        ("Фракція «Рух»", False, (1, 0, 1, 0)),
                        ("Позафракційні", True, (0, 0, 0, 1))]
    groups = {g.value: [d.id for d in g.deputies] for g in card.groups}
    # Ukrainian alphabetical order within a group: Іваненко before Коваленко.
    assert groups[VoteValue.FOR] == [deputies["D2"], deputies["D1"], deputies["D4"]]
    assert groups[VoteValue.AGAINST] == [deputies["D3"]]
    assert groups[VoteValue.ABSTAIN] == [deputies["D5"]]
    assert groups[VoteValue.NOT_VOTING] == [] and groups[VoteValue.ABSENT] == [deputies["D6"]]


async def test_comparing_two_deputies(session, council):
    deputies, events = council
    same = await stats.compare_deputies(session, deputies["D1"], deputies["D2"])
    assert same.agreement == Share(2, 2) and same.differences.total == 0  # V3, V4 not both cast
    split = await stats.compare_deputies(session, deputies["D4"], deputies["D5"])
    assert split.agreement == Share(1, 2)
    assert [(d.event_id, d.first, d.second) for d in split.differences.items] == [
        (events["V1"], VoteValue.FOR, VoteValue.ABSTAIN)]
    other = await stats.compare_deputies(session, deputies["D3"], deputies["D6"])
    assert other.agreement == Share(2, 3) and other.agreement.percent == 66.7
    assert [d.event_id for d in other.differences.items] == [events["V2"]]
    assert other.rule == RULES["agreement"]
    with pytest.raises(InvalidInput):
        await stats.compare_deputies(session, deputies["D3"], deputies["D3"])


async def test_searching_decisions_and_deputies(session, council):
    deputies, events = council
    found = await queries.search_decisions(session, "ґрунтової")
    assert [d.id for d in found.items] == [events["V4"]]
    assert [d.id for d in (await queries.search_decisions(session, "ГРУНТОВОЇ")).items] == [
        events["V4"]]
    found = await queries.search_decisions(session, "про бюджет")
    assert [d.id for d in found.items] == [events["V2"]]
    assert [d.id for d in (await queries.search_decisions(session, "757/3")).items] == [
        events["V3"]]
    with pytest.raises(InvalidInput):
        await queries.search_decisions(session, " ! ")
    for query, expected in (("коваленко", "D1"), ("ГОНТАР", "D3"), ("ґонтар ярина", "D3"),
                            ("Ар'єв", "D6"), ("арєв", "D6"), ("Iваненко", "D2")):
        result = await queries.search_deputies(session, query)
        assert [d.id for d in result.items] == [deputies[expected]], query
    # A given name or a patronymic finds them too (Петро, Петрівна), alphabetically.
    assert [d.id for d in (await queries.search_deputies(session, "петр")).items] == [
        deputies["D2"], deputies["D1"]]
    assert (await queries.search_deputies(session, "нікого")).total == 0


async def test_deputies_by_faction_and_by_district(session, council):
    deputies, _ = council
    lines = await queries.factions(session)
    assert [(f.name, f.deputies) for f in lines] == [
        ("Фракція «Світанок»", 3), ("Фракція «Рух»", 2), ("Позафракційні", 1)]
    members = await queries.faction_deputies(session, lines[0].id, page_size=2)
    # Ukrainian alphabetical order: Ґ comes before І.
    assert [d.id for d in members.items] == [deputies["D3"], deputies["D2"]]
    assert members.pages == 2 and members.has_next
    assert await queries.districts(session) == ((1, 1), (2, 1), (3, 1), (4, 1))
    assert [d.id for d in await queries.district_deputies(session, 4)] == [deputies["D4"]]


async def test_sessions_and_their_decisions(session, council):
    _, events = council
    page = await queries.latest_sessions(session)
    (line,) = page.items
    assert (line.label, line.votes, line.adopted, line.published) == (
        "1 сесія, 8 скликання", 4, 2, True)
    decisions = await queries.session_decisions(session, line.id)
    assert [d.id for d in decisions.items] == [events[f"V{n}"] for n in (1, 2, 3, 4)]
    assert [d.result for d in decisions.items] == [
        DecisionResult.ADOPTED, DecisionResult.NOT_ADOPTED, DecisionResult.ADOPTED,
        DecisionResult.NOT_ADOPTED]


async def _resident(session, n: int) -> int:
    resident = Resident(language="uk", consent_at=utcnow(), is_active=True)
    session.add(resident)
    await session.flush()
    return resident.id


async def test_following_deputies(session):
    await run_import(session, council_files())
    deputies = await _deputies(session)
    olena, petro = await _resident(session, 1), await _resident(session, 2)
    assert await follow.follow(session, olena, deputies["D1"])
    assert not await follow.follow(session, olena, deputies["D1"])  # once is enough
    assert await follow.follow(session, olena, deputies["D3"])
    assert await follow.follow(session, petro, deputies["D1"])
    await session.commit()
    assert [d.id for d in await follow.followed_by(session, olena)] == [deputies["D3"],
                                                                        deputies["D1"]]
    assert await follow.followers_of(session, deputies["D1"]) == (olena, petro)
    assert await follow.is_following(session, petro, deputies["D1"])
    assert await follow.unfollow(session, petro, deputies["D1"])
    assert not await follow.unfollow(session, petro, deputies["D1"])
    assert await follow.followers_of(session, deputies["D1"]) == (olena,)
    with pytest.raises(NotFound):
        await follow.follow(session, olena, 99999)
    # Publishing tells who follows whom among the deputies of that session.
    sessions = (await session.scalars(select(VoteSession.id))).all()
    announced = await publishing.publish_session(session, SHELL, sessions[0])
    assert [(n.resident_id, [d.id for d in n.deputies]) for n in announced.followers] == [
        (olena, [deputies["D1"], deputies["D3"]])]
    assert len(announced.decisions) == 4 and announced.session.adopted == 2
    assert (await stats.deputy_card(session, deputies["D1"])).followers == 1


async def test_a_flagged_vote_holds_its_session_until_staff_confirm(session):
    await run_import(session, [council_files()[0],
                               *(upload(p) for p in sorted((OWN / "normalised").iterdir()))])
    session_id = (await session.scalars(select(VoteSession.id))).one()
    state = await publishing.session_state(session, session_id)
    assert (state.votes, state.flagged, state.unconfirmed, state.can_publish) == (3, 1, 1, False)
    (flagged,) = await publishing.flagged_votes(session, session_id)
    assert (flagged.published, flagged.roll_call) == ((3, 1, 0, 0, 2), (2, 1, 0, 1, 2))
    with pytest.raises(InvalidInput) as held:
        await publishing.publish_session(session, SHELL, session_id)
    assert held.value.message_key == "votes.error.unconfirmed_votes"
    resident = Actor(Channel.TELEGRAM, "777")
    with pytest.raises(PermissionDenied):
        await publishing.confirm_vote(session, resident, flagged.event_id)
    with pytest.raises(PermissionDenied):
        await publishing.publish_session(session, resident, session_id)
    assert await publishing.confirm_vote(session, SHELL, flagged.event_id)
    assert not await publishing.confirm_vote(session, SHELL, flagged.event_id)
    announced = await publishing.publish_session(session, SHELL, session_id)
    await session.commit()
    assert announced.session.published and len(announced.decisions) == 3
    with pytest.raises(Conflict):
        await publishing.publish_session(session, SHELL, session_id)
    card = await queries.decision_card(session, flagged.event_id)
    assert card.needs_review and card.confirmed and card.counts.for_ == 3  # as published
    (ok_vote,) = [e for e in (await queries.session_decisions(session, session_id)).items
                  if e.id != flagged.event_id][:1]
    with pytest.raises(InvalidInput):
        await publishing.confirm_vote(session, SHELL, ok_vote.id)


async def test_publishing_happens_exactly_once_when_two_staff_press_together(sessionmaker):
    async with sessionmaker() as session:
        await run_import(session, council_files())
        session_id = (await session.scalars(select(VoteSession.id))).one()

    async def press() -> str:
        async with sessionmaker() as session:
            try:
                await publishing.publish_session(session, SHELL, session_id)
                await session.commit()
                return "published"
            except Conflict:
                await session.rollback()
                return "conflict"

    results = await asyncio.gather(press(), press(), press())
    assert sorted(results) == ["conflict", "conflict", "published"]


async def test_a_session_without_votes_has_nothing_to_publish(session):
    await run_import(session, [upload(OWN / "normalised" / n) for n in ("convocations.csv",
                                                                         "sessions.csv")])
    empty = (await session.scalars(select(VoteSession.id))).one()
    with pytest.raises(InvalidInput) as refused:
        await publishing.publish_session(session, SHELL, empty)
    assert refused.value.message_key == "votes.error.nothing_to_publish"
    with pytest.raises(NotFound):
        await publishing.session_state(session, 99999)


async def test_a_faction_change_recounts_the_published_statistics(session, council):
    deputies, _ = council
    text = (OWN / "council" / "deputies.csv").read_bytes().decode("utf-8-sig")
    moved = text.replace('"Позафракційний"', '"Фракція «Рух»"')
    report = await run_import(session, [UploadedFile("deputies.csv", moved.encode("utf-8"))])
    assert report.files[0].changes.deputies_updated == 1
    # «Рух» is now D4, D5, D6 (worked out by hand in the module docstring's table).
    d5 = await stats.deputy_card(session, deputies["D5"])
    d6 = await stats.deputy_card(session, deputies["D6"])
    d4 = await stats.deputy_card(session, deputies["D4"])
    assert d5.against_faction == Share(1, 4)  # V3 counts now: D6 was present and for
    assert d6.against_faction == Share(0, 3) and not d6.unaffiliated
    assert d4.against_faction == Share(1, 3)
