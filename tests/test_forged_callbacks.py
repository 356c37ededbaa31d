"""Forged button data: a modified client can send any callback data with any id.

For every CallbackData with an id, a resident (or staff of the wrong role) sending another
person's id, a hidden record's id or an id that does not exist gets a polite "not found" or
"not available" alert, and nothing is changed or shown.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta
from typing import Any

from aiogram.filters.callback_data import CallbackData
from sqlalchemy import func, select

import handlers
from handlers.appeals.actions import StaffAction
from handlers.appeals.callbacks import (
    FollowupCB,
    MyCardCB,
    RateCB,
    StaffAppealCB,
    StaffCardCB,
    StaffDeptCB,
    SupportCB,
)
from handlers.broadcasts import BroadcastCB
from handlers.events import EventAdminCB, EventCB
from handlers.petitions import PetCB
from handlers.petitions.callbacks import PetAdmCB
from handlers.polls.callbacks import DistrictCB, PollCB, PollStaffCB
from services import appeals, broadcasts, events, petitions
from services.db import utcnow
from services.models import (
    AuditEntry,
    Broadcast,
    Channel,
    Event,
    OutboxMessage,
    Petition,
    Resident,
    Role,
    Signature,
)
from services.models.appeals import Appeal, AppealDraft, AppealEvent, AppealSupporter
from services.models.broadcasts import EventKind, EventReminderRequest
from tests.fakes.resident import ResidentClient
from tests.test_votes_forged import VOTES_COVERED

AUTHOR, INTRUDER, MODERATOR, PRESS = 401, 402, 902, 903
SECRET = "Секретна скарга про сусіда з квартири 7"
ANSWER = "Секретна відповідь ради щодо квартири 7"
MISSING = 10**9

APPEAL_NOT_FOUND = "Звернення не знайдено."
PETITION_NOT_FOUND = "Петицію не знайдено"
EVENT_NOT_FOUND = "Подію не знайдено."
EVENT_GONE = "вже відбулася або скасована"
BROADCAST_NOT_FOUND = "Оголошення не знайдено."
STALE = "Ця кнопка вже не діє"

# Every CallbackData class of handlers/ that carries an id, and the test that forges it.
COVERED = {SupportCB, MyCardCB, FollowupCB, RateCB, StaffCardCB, StaffAppealCB, StaffDeptCB,
           PetCB, PetAdmCB, EventAdminCB, BroadcastCB, EventCB,
           PollCB, DistrictCB, PollStaffCB,  # the polls' ones: tests/test_polls_forged.py
           *VOTES_COVERED}


def press_cb(action: str, id: int, value: str = "") -> CallbackData:
    """The press service's buttons by their former names (ev_*: one event, bc_*: one
    broadcast), now each feature's own family."""
    if action.startswith("bc_"):
        return BroadcastCB(action=action[3:], id=id)
    return EventAdminCB(action=action[3:], id=id, field=value or None)


def _staff(action: str, appeal_id: int) -> CallbackData:
    """The moderators' button of `action` on an appeal (assigning: to the first department)."""
    if action == "card":
        return StaffCardCB(appeal_id=appeal_id)
    if action == "dept":
        return StaffDeptCB(appeal_id=appeal_id, department=0)
    return StaffAppealCB(action=StaffAction(action), appeal_id=appeal_id)


def test_every_callback_with_an_id_is_covered():
    for module in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{module.name}")
    with_ids = {
        cls for cls in CallbackData.__subclasses__()
        if cls.__module__.startswith("handlers.")
        and any(name == "id" or name.endswith("_id") for name in cls.model_fields)
    }
    assert with_ids == COVERED


async def _world(bot_app) -> dict[str, int]:
    """An author's appeals (one open, one answered and asked about), a draft petition and a
    published one, an upcoming and a cancelled event, a scheduled broadcast."""
    rules = appeals.AppealRules()
    prules = petitions.PetitionRules(max_pending_per_author=100)
    async with bot_app.sessionmaker() as session:
        author = await session.scalar(select(Resident).order_by(Resident.id))
        open_appeal = await appeals.register(session, rules, author, kind="complaint",
                                             category="roads", text=SECRET)
        answered = await appeals.register(session, rules, author, kind="complaint",
                                          category="utilities", text=SECRET)
        await appeals.answer(session, rules, "telegram:1", answered.id, ANSWER)
        await appeals.ask_followup(session, answered.id)
        draft = await petitions.create(session, prules, author, title="Секретна чернетка петиції",
                                       text="Текст, якого ще ніхто не повинен бачити " * 3)
        published = await petitions.create(session, prules, author,
                                           title="Відремонтувати дорогу на вулиці Миру",
                                           text="Просимо відремонтувати дорогу до кінця року.")
        await petitions.approve(session, prules, "test", published.id)
        upcoming = await events.create_event(
            session, actor="telegram:1", kind=EventKind.PLENARY, title="Сесія ради",
            starts_at=utcnow() + timedelta(days=3), stream_url=None, place="Зала")
        gone = await events.create_event(
            session, actor="telegram:1", kind=EventKind.PLENARY, title="Скасована сесія",
            starts_at=utcnow() + timedelta(days=4), stream_url=None, place="Зала")
        await events.cancel_event(session, gone.id, actor="telegram:1")
        broadcast = await broadcasts.create_broadcast(
            session, actor="telegram:1", author_chat_id="1", author_language="uk",
            text="Оголошення", photo=None, audience=broadcasts.Audience(),
            scheduled_at=utcnow() + timedelta(days=1), author_channel=Channel.TELEGRAM)
        await session.commit()
        return {"appeal": open_appeal.id, "answered": answered.id, "draft": draft.id,
                "published": published.id, "event": upcoming.id, "gone": gone.id,
                "broadcast": broadcast.id}


async def _state(bot_app) -> dict[str, Any]:
    """Everything a forged press could change."""
    async with bot_app.sessionmaker() as session:
        def count(model: Any) -> Any:
            return session.scalar(select(func.count()).select_from(model))

        return {
            "appeals": list((await session.execute(
                select(Appeal.id, Appeal.status, Appeal.department, Appeal.assignee,
                       Appeal.deadline, Appeal.is_simple, Appeal.satisfaction,
                       Appeal.followup_answered_at).order_by(Appeal.id))).all()),
            "petitions": list((await session.execute(
                select(Petition.id, Petition.status, Petition.title, Petition.signature_count)
                .order_by(Petition.id))).all()),
            "events": list((await session.execute(
                select(Event.id, Event.status, Event.version).order_by(Event.id))).all()),
            "broadcasts": list(await session.scalars(select(Broadcast.status))),
            "appeal_events": await count(AppealEvent),
            "supporters": await count(AppealSupporter),
            "drafts": await count(AppealDraft),
            "signatures": await count(Signature),
            "reminders": await count(EventReminderRequest),
            "outbox": await count(OutboxMessage),
            "audit": await count(AuditEntry),
        }


async def _refused(client: ResidentClient, data: str, expected: str) -> None:
    """The press gets `expected` as its alert; no message is sent, none is edited."""
    chat = client.fake.to_chat(client.user_id)
    shown = [(s.method, s.text, s.reply_markup) for s in chat]
    await client.callback(data)
    answers = [a.get("text") or "" for a in client.last_callback_answers]
    assert len(answers) == 1 and expected in answers[0], (data, answers)
    assert [(s.method, s.text, s.reply_markup) for s in client.fake.to_chat(client.user_id)] \
        == shown, data


async def test_forged_ids_from_a_resident_change_and_show_nothing(bot_app):
    author = bot_app.resident(AUTHOR)
    await author.onboard()
    intruder = bot_app.resident(INTRUDER)
    await intruder.onboard(name="Петренко Іван", street="вул. Миру", building="3")
    ids = await _world(bot_app)
    await intruder.send("/menu")
    before = await _state(bot_app)

    appeal, answered = ids["appeal"], ids["answered"]
    for forged in (
        SupportCB(appeal_id=appeal), MyCardCB(appeal_id=appeal),
        MyCardCB(appeal_id=answered), MyCardCB(appeal_id=MISSING),
        SupportCB(appeal_id=MISSING),
        FollowupCB(appeal_id=answered, answer="yes"), FollowupCB(appeal_id=answered, answer="no"),
        FollowupCB(appeal_id=MISSING, answer="yes"),
        RateCB(appeal_id=answered, score=1), RateCB(appeal_id=MISSING, score=5),
    ):
        await _refused(intruder, forged.pack(), APPEAL_NOT_FOUND)
    for action in ("open", "sign", "withdraw"):
        await _refused(intruder, PetCB(action=action, id=ids["draft"]).pack(), PETITION_NOT_FOUND)
        await _refused(intruder, PetCB(action=action, id=MISSING).pack(), PETITION_NOT_FOUND)
    await _refused(intruder, EventCB(action="remind", event_id=MISSING).pack(), EVENT_NOT_FOUND)
    await _refused(intruder, EventCB(action="remind", event_id=ids["gone"]).pack(), EVENT_GONE)
    # Staff buttons do not exist for a resident: the same answer as any stale button.
    for action in ("card", "assign", "dept", "take", "progress", "close", "simple", "files",
                   "extend", "extend_max", "return", "answer", "answer_send", "merge"):
        await _refused(intruder, _staff(action, appeal).pack(), STALE)
    for action in ("view", "approve", "reject", "reason", "reject_go", "edit_title", "consider",
                   "answer", "kind", "export"):
        await _refused(intruder, PetAdmCB(action=action, id=ids["draft"], value="other").pack(),
                       STALE)
    for action, id_ in (("ev_manage", ids["event"]), ("ev_edit", ids["event"]),
                        ("ev_cancel", ids["event"]), ("ev_cancel_yes", ids["event"]),
                        ("bc_refresh", ids["broadcast"]), ("bc_cancel", ids["broadcast"])):
        await _refused(intruder, press_cb(action, id=id_, value="title").pack(), STALE)

    assert await _state(bot_app) == before
    # No dialog was opened by the forged "no": a typed text is not taken as a comment.
    await intruder.send("Вода знову зникла")
    assert await _state(bot_app) == before
    texts = "\n".join(t for s in bot_app.fake.to_chat(INTRUDER) for t in [s.text or ""])
    assert "Секретн" not in texts and "квартири 7" not in texts


async def test_staff_of_the_wrong_role_cannot_use_each_others_buttons(bot_app):
    author = bot_app.resident(AUTHOR)
    await author.onboard()
    ids = await _world(bot_app)
    await bot_app.make_staff(MODERATOR, Role.MODERATOR)
    await bot_app.make_staff(PRESS, Role.PRESS)
    moderator, press = bot_app.resident(MODERATOR, "Мод"), bot_app.resident(PRESS, "Прес")
    before = await _state(bot_app)
    for action in ("card", "dept", "take", "close", "answer", "extend", "files"):
        await _refused(press, _staff(action, ids["appeal"]).pack(), STALE)
    for action in ("view", "approve", "reject_go", "consider", "export"):
        await _refused(press, PetAdmCB(action=action, id=ids["draft"], value="other").pack(),
                       STALE)
    for action, id_ in (("ev_manage", ids["event"]), ("ev_cancel_yes", ids["event"]),
                        ("bc_refresh", ids["broadcast"]), ("bc_cancel", ids["broadcast"])):
        await _refused(moderator, press_cb(action, id=id_).pack(), STALE)
    # Staff are not residents: the residents' own buttons do not open anyone's appeal either.
    for forged in (MyCardCB(appeal_id=ids["appeal"]),
                   FollowupCB(appeal_id=ids["answered"], answer="yes"),
                   RateCB(appeal_id=ids["answered"], score=5)):
        await _refused(moderator, forged.pack(), APPEAL_NOT_FOUND)
    assert await _state(bot_app) == before
    for client in (moderator, press):
        texts = "\n".join(s.text or "" for s in bot_app.fake.to_chat(client.user_id))
        assert "Секретн" not in texts


async def test_ids_that_do_not_exist_are_not_found_for_the_right_staff(bot_app):
    author = bot_app.resident(AUTHOR)
    await author.onboard()
    ids = await _world(bot_app)
    await bot_app.make_staff(MODERATOR, Role.MODERATOR)
    await bot_app.make_staff(PRESS, Role.PRESS)
    moderator, press = bot_app.resident(MODERATOR, "Мод"), bot_app.resident(PRESS, "Прес")
    await moderator.send("/appeals")
    await press.send("/broadcasts")
    before = await _state(bot_app)
    for action in ("card", "assign", "dept", "take", "progress", "close", "simple", "files",
                   "extend", "extend_max", "return", "answer", "merge"):
        await _refused(moderator, _staff(action, MISSING).pack(), APPEAL_NOT_FOUND)
    for action in ("view", "approve", "reject", "reason", "reject_go", "edit_title",
                   "edit_text", "consider", "answer", "kind", "export"):
        value = {"reason": "duplicate", "reject_go": "duplicate", "kind": "supported"}.get(
            action, "")
        await _refused(moderator, PetAdmCB(action=action, id=MISSING, value=value).pack(),
                       PETITION_NOT_FOUND)
    for action in ("ev_manage", "ev_edit", "ev_cancel", "ev_cancel_yes"):
        await _refused(press, press_cb(action, id=MISSING, value="title").pack(),
                       EVENT_NOT_FOUND)
    for action in ("bc_refresh", "bc_cancel"):
        await _refused(press, press_cb(action, id=MISSING).pack(), BROADCAST_NOT_FOUND)
    assert await _state(bot_app) == before
    assert ids  # the real records were there all along
