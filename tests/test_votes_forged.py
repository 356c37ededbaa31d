"""Forged vote buttons: any client can send any callback data with any id.

For every votes callback that carries an id: an id past the database's range is a stale
button; an id of nothing, or of a session not published yet, is "not found" and shows
nothing of it; a resident (or a revoked staff member) pressing a staff button is told only
staff may, and nothing changes: the session stays unpublished, no vote gets confirmed, no
notice is queued.
"""

from __future__ import annotations

import inspect

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import func, select

from handlers.votes import callbacks
from handlers.votes.callbacks import (
    CompareCB,
    DecisionCB,
    DeputyCB,
    DistrictCB,
    FactionCB,
    RollCB,
    SessionCB,
    StaffSessionCB,
    StaffVoteCB,
)
from services import roles
from services.models import AuditEntry, Channel, OutboxMessage, Role
from services.votes.models import DecisionPetition, SessionStatus, VoteEvent, VoteSession
from tests.votes_bot_support import consented, import_council, make_staff

# The votes callbacks with ids, each forged below (tests/test_forged_callbacks.py adds them to
# its list of every covered callback); DistrictCB carries a district number, forged too.
VOTES_COVERED = {SessionCB, DecisionCB, RollCB, FactionCB, DeputyCB, CompareCB,
                 StaffSessionCB, StaffVoteCB}
MISSING = 10**9
HUGE = "99999999999999999999"
STALE = "Ця кнопка вже не діє"
NOT_STAFF = "можуть лише працівники ради"
SESSION_NOT_FOUND = "Сесію не знайдено."
DECISION_NOT_FOUND = "Голосування не знайдено"
DEPUTY_NOT_FOUND = "Депутата не знайдено."


def test_every_votes_callback_with_an_id_or_number_is_covered():
    classes = {cls for _, cls in inspect.getmembers(callbacks, inspect.isclass)
               if issubclass(cls, CallbackData) and cls.__module__ == callbacks.__name__}
    with_ids = {cls for cls in classes
                if any(n == "id" or n.endswith("_id") or n == "number" for n in cls.model_fields)}
    assert with_ids == VOTES_COVERED | {DistrictCB}


async def _alert(client, data: str) -> str:
    before = len(client.sent)
    await client.callback(data)
    answers = client.last_callback_answers
    assert answers, f"{data}: the press was not answered"
    assert len(client.sent) == before, f"{data}: a new message was sent"
    return answers[-1].get("text") or ""


@pytest.fixture
async def world(bot_app):
    """A published council session, and a second session imported but not published."""
    published = await import_council(bot_app)
    async with bot_app.sessionmaker() as session:
        event = await session.get(VoteEvent, published["events"]["V1"])
        assert event is not None
        hidden = VoteSession(source_key="hidden", label="Закрита сесія", date_from=event.held_on,
                             date_until=event.held_on, status=SessionStatus.IMPORTED.value)
        session.add(hidden)
        await session.flush()
        copy = VoteEvent(source_key="hidden-1", session_id=hidden.id, title="Таємне рішення",
                         held_on=event.held_on, source_file="x.json", content_hash="x",
                         needs_review=True, review_note={"published": [1, 0, 0, 0, 0],
                                                         "roll_call": [0, 0, 0, 0, 1]})
        session.add(copy)
        await session.commit()
        audited = await session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action.like("votes.%")))
    return {**published, "hidden_session": hidden.id, "hidden_event": copy.id,
            "audited": audited}


async def test_ids_past_the_range_are_stale_buttons(bot_app, world):
    c = bot_app.resident(3301)
    await c.command("/votes")
    for data in (f"vs:{HUGE}:0", f"vd:{HUGE}", f"vr:{HUGE}:for:0", f"vf:{HUGE}:0",
                 f"vo:{HUGE}", f"vp:c:{HUGE}:0", f"vc:{HUGE}:1:0", f"vc:1:{HUGE}:0",
                 f"vy:o:{HUGE}:0", f"vz:c:{HUGE}", "vr:1:bogus:0", "vp:x:1:0", "vt:nowhere:0",
                 "vx:nowhere:0", "vs:-1:0", f"vs:1:{HUGE}"):
        assert STALE in await _alert(c, data), data


async def test_missing_and_unpublished_things_are_not_found(bot_app, world):
    c = bot_app.resident(3302)
    await c.command("/votes")
    hidden_session, hidden_event = world["hidden_session"], world["hidden_event"]
    cases = {
        f"vs:{MISSING}:0": SESSION_NOT_FOUND, f"vs:{hidden_session}:0": SESSION_NOT_FOUND,
        f"vd:{MISSING}": DECISION_NOT_FOUND, f"vd:{hidden_event}": DECISION_NOT_FOUND,
        f"vr:{MISSING}:for:0": DECISION_NOT_FOUND, f"vr:{hidden_event}:absent:0":
            DECISION_NOT_FOUND,
        f"vf:{MISSING}:0": "Фракцію не знайдено.", "vo:77": "Округ не знайдено.",
        f"vp:c:{MISSING}:0": DEPUTY_NOT_FOUND, f"vp:v:{MISSING}:0": DEPUTY_NOT_FOUND,
        f"vp:p:{MISSING}:0": DEPUTY_NOT_FOUND,
    }
    d1 = world["deputies"]["D1"]
    cases[f"vc:{d1}:{MISSING}:0"] = DEPUTY_NOT_FOUND
    cases[f"vc:{d1}:{d1}:0"] = "Оберіть двох різних депутатів."
    for data, expected in cases.items():
        text = await _alert(c, data)
        assert expected in text, (data, text)
    assert not any("Таємне рішення" in (m.text or "") or "Закрита сесія" in (m.text or "")
                   for m in c.sent)


async def test_following_a_missing_deputy_changes_nothing(bot_app, world):
    await consented(bot_app, 3303)
    c = bot_app.resident(3303)
    await c.command("/votes")
    for data in (f"vp:f:{MISSING}:0", f"vp:u:{MISSING}:0"):
        assert DEPUTY_NOT_FOUND in await _alert(c, data)
    from services.votes.models import DeputyFollow

    async with bot_app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(DeputyFollow)) == 0


async def test_a_deputys_votes_and_comparison_leave_out_unpublished_sessions(bot_app, world):
    d = world["deputies"]
    async with bot_app.sessionmaker() as session:
        from services.votes.models import VoteCast

        session.add_all([VoteCast(event_id=world["hidden_event"], position=1, deputy_id=d["D1"],
                                  value="against", raw_value="Проти"),
                         VoteCast(event_id=world["hidden_event"], position=2, deputy_id=d["D2"],
                                  value="for", raw_value="За")])
        await session.commit()
    c = bot_app.resident(3304)
    await c.command("/votes")
    await c.callback(f"vp:v:{d['D1']}:0")
    assert "голосувань: 4" in c.last.text
    assert not any("Таємне" in b["text"] for b in c.last.buttons)
    await c.callback(f"vc:{d['D1']}:{d['D2']}:0")
    assert "(2 з 2)" in c.last.text and "Таємне" not in c.last.text


STAFF_BUTTONS = ("vx:home:0", "vx:upload:0", "vx:sessions:0", "vx:import:0", "vx:cancel:0",
                 "vx:unknown:0", "vx:partial:0", "vx:lenient:0")


async def _nothing_changed(bot_app, world) -> None:
    async with bot_app.sessionmaker() as session:
        status = await session.scalar(select(VoteSession.status)
                                      .where(VoteSession.id == world["hidden_session"]))
        confirmed = await session.scalar(select(VoteEvent.confirmed_at)
                                         .where(VoteEvent.id == world["hidden_event"]))
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        linked = await session.scalar(select(func.count()).select_from(DecisionPetition))
        audited = await session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action.like("votes.%")))
    assert (status, confirmed, queued, linked) == (SessionStatus.IMPORTED, None, 0, 0)
    assert audited == world["audited"]  # the sample's own import and publication only


async def test_residents_pressing_staff_buttons_are_told_only_staff_may(bot_app, world):
    await consented(bot_app, 3305)
    c = bot_app.resident(3305)
    await c.command("/votes")
    s, e = world["hidden_session"], world["hidden_event"]
    staff_ids = (f"vy:o:{s}:0", f"vy:d:{s}:0", f"vy:f:{s}:0", f"vy:a:{s}:0", f"vy:p:{s}:0",
                 f"vz:o:{e}", f"vz:c:{e}", f"vz:l:{e}", f"vz:u:{e}")
    for data in (*STAFF_BUTTONS, *staff_ids):
        assert NOT_STAFF in await _alert(c, data), data
    assert not any("Таємне рішення" in (m.text or "") for m in c.sent)
    await _nothing_changed(bot_app, world)


async def test_revoked_staff_are_refused_too(bot_app, world):
    await make_staff(bot_app, 3306)
    c = bot_app.resident(3306)
    await c.command("/votes")
    await c.press("Імпорт і публікація")
    async with bot_app.sessionmaker() as session:
        await roles.revoke(session, "test", Channel.TELEGRAM, "3306", Role.MODERATOR)
        await session.commit()
    # The button stays on their screen; the revocation counts from the next update on.
    s = world["hidden_session"]
    text = await _alert(c, f"vy:p:{s}:0")
    assert NOT_STAFF in text
    await _nothing_changed(bot_app, world)


async def test_staff_pressing_buttons_of_missing_things_get_not_found(bot_app, world):
    await make_staff(bot_app, 3307)
    c = bot_app.resident(3307)
    await c.command("/votes")
    for data, expected in ((f"vy:o:{MISSING}:0", SESSION_NOT_FOUND),
                           (f"vy:d:{MISSING}:0", SESSION_NOT_FOUND),
                           (f"vy:f:{MISSING}:0", SESSION_NOT_FOUND),
                           (f"vy:a:{MISSING}:0", SESSION_NOT_FOUND),
                           (f"vy:p:{MISSING}:0", SESSION_NOT_FOUND),
                           (f"vz:o:{MISSING}", DECISION_NOT_FOUND),
                           (f"vz:c:{MISSING}", DECISION_NOT_FOUND),
                           (f"vz:l:{MISSING}", DECISION_NOT_FOUND),
                           (f"vz:u:{MISSING}", DECISION_NOT_FOUND),
                           (f"vz:c:{world['events']['V1']}", "не потребує підтвердження")):
        assert expected in await _alert(c, data), data
    # Staff do see the unpublished session and its vote (that is their work).
    await c.callback(f"vz:o:{world['hidden_event']}")
    assert "Таємне рішення" in c.last.text
