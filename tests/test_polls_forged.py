"""Forged poll buttons: a modified client can send any callback data with any id.

A resident outside a poll's districts, a closed or not yet open poll, a draft nobody may
see, an id that does not exist, a selection the poll cannot have, a non-moderator pressing
staff buttons: each gets a polite alert, and nothing is changed (or shown that is not public).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from handlers.polls.callbacks import (
    CardAction,
    DistrictCB,
    PollCB,
    PollListCB,
    PollStaffCB,
    StaffAction,
    StaffListCB,
)
from handlers.polls.screens import Shelf
from handlers.polls.screens_staff import EditPart
from services.db import utcnow
from services.models import AuditEntry, Draft, OutboxMessage, Resident, Role
from services.polls import manage
from services.polls.models import Poll, PollAnswer, PollChart, PollChoice
from tests.fakes.resident import ResidentClient
from tests.polls_support import DISTRICT_NAMES, DISTRICTS, MODERATOR, RULES, bot_poll, spec

MISSING = 10**9
SECRET = "Чернетка: секретне питання модератора"
NOT_FOUND = "Опитування не знайдено."
STALE = "Ця кнопка вже не діє"
INTRUDER, PRESS = 701, 903


async def _world(app) -> dict[str, int]:
    now = utcnow()
    ids = {
        "open": await bot_poll(app, now, question="Відкрите для всіх"),
        "north": await bot_poll(app, now, question="Лише для Північного",
                                districts=("Північний",)),
        "multi": await bot_poll(app, now, question="Кілька варіантів", multiple=True,
                                max_choices=2, options=("А", "Б", "В")),
        "later": await bot_poll(app, now, question="Завтрашнє",
                                opens_at=now + timedelta(days=1)),
        "closed": await bot_poll(app, now, question="Закрите"),
    }
    async with app.sessionmaker() as session:
        await manage.close_early(session, MODERATOR, ids["closed"])
        draft = await manage.create_draft(session, RULES, DISTRICTS, MODERATOR,
                                          spec(question=SECRET))
        ids["draft"] = draft.id
        await session.commit()
    return ids


async def _state(app) -> dict[str, Any]:
    """Everything a forged press could change."""
    async with app.sessionmaker() as session:
        def count(model: Any) -> Any:
            return session.scalar(select(func.count()).select_from(model))

        return {
            "polls": list((await session.execute(
                select(Poll.id, Poll.status, Poll.version, Poll.question, Poll.answer_count,
                       Poll.closed_at).order_by(Poll.id))).all()),
            "districts": list((await session.execute(
                select(Resident.id, Resident.district, Resident.district_asked_at)
                .order_by(Resident.id))).all()),
            "answers": await count(PollAnswer),
            "choices": await count(PollChoice),
            "charts": await count(PollChart),
            "drafts": await count(Draft),
            "outbox": await count(OutboxMessage),
            "audit": await count(AuditEntry),
        }


def _chat(client: ResidentClient) -> list[tuple[str, str | None, Any]]:
    return [(s.method, s.text, s.reply_markup) for s in client.fake.to_chat(client.user_id)]


async def _refused(client: ResidentClient, data: str, expected: str, *,
                   shows_card: bool = False) -> None:
    """The press gets `expected` as its alert; nothing is sent or edited, unless the card
    on screen was out of date (`shows_card`: the public card is shown as it is now)."""
    shown = _chat(client)
    await client.callback(data)
    answers = [a.get("text") or "" for a in client.last_callback_answers]
    assert len(answers) == 1 and expected in answers[0], (data, answers)
    if not shows_card:
        assert _chat(client) == shown, data


async def test_forged_poll_buttons_from_a_resident_change_and_show_nothing(bot_app_factory):
    app = await bot_app_factory(districts=DISTRICT_NAMES)
    ids = await _world(app)
    intruder = app.resident(INTRUDER)
    await intruder.onboard()
    async with app.sessionmaker() as session:
        await session.execute(update(Resident).values(district="Південний",
                                                      district_asked_at=utcnow()))
        await session.commit()
    await intruder.send("/polls")
    before = await _state(app)

    def card(action: CardAction, poll: str | int, **fields: int) -> str:
        poll_id = ids[poll] if isinstance(poll, str) else poll
        return PollCB(action=action, poll_id=poll_id, **{"version": 1, **fields}).pack()

    for action in CardAction:
        for poll in ("draft", MISSING):
            await _refused(intruder, card(action, poll, mask=1), NOT_FOUND)
    for poll in ("draft", MISSING):
        await _refused(intruder, DistrictCB(poll_id=ids["draft"] if poll == "draft" else poll,
                                            choice=1).pack(), NOT_FOUND)
    # Outside the poll's districts: told so, nothing counted.
    await _refused(intruder, card(CardAction.ANSWER, "north", mask=1), "інших районів")
    await _refused(intruder, card(CardAction.TOGGLE, "north", option=0), "інших районів")
    # Closed, not open yet, edited since: the card as it is now, nothing counted.
    for action in (CardAction.ANSWER, CardAction.TOGGLE):
        await _refused(intruder, card(action, "closed", mask=1), "вже закрите", shows_card=True)
        await _refused(intruder, card(action, "later", mask=1), "ще не розпочалося",
                       shows_card=True)
    await _refused(intruder, card(CardAction.ANSWER, "open", mask=1, version=7), "змінили",
                   shows_card=True)
    # Selections the poll cannot have.
    await _refused(intruder, card(CardAction.ANSWER, "open", mask=1 << 9), "змінилися",
                   shows_card=True)
    await _refused(intruder, card(CardAction.TOGGLE, "multi", option=9), "змінилися",
                   shows_card=True)
    await _refused(intruder, card(CardAction.ANSWER, "open", mask=0), "хоча б один")
    await _refused(intruder, card(CardAction.ANSWER, "open", mask=0b11), "не більше 1")
    await _refused(intruder, card(CardAction.ANSWER, "multi", mask=0b111), "не більше 2")
    await _refused(intruder, card(CardAction.CHART, "open"), "коли опитування закриється")
    await _refused(intruder, DistrictCB(poll_id=ids["open"], choice=99).pack(),
                   "Такого району немає")
    await _refused(intruder, "pv:a:99999999999999999999:1:1:0:0", STALE)
    await _refused(intruder, "pls:staff:0", STALE)
    # Staff buttons do not exist for a resident: the same answer as any stale button.
    for action in StaffAction:
        for poll in ("open", "draft"):
            await _refused(intruder, PollStaffCB(action=action, poll_id=ids[poll], version=1,
                                                 part=EditPart.QUESTION).pack(), STALE)
    await _refused(intruder, StaffListCB(page=0).pack(), STALE)
    await _refused(intruder, WizardCB(wizard="poll", action=WizardAction.START).pack(),
                   "лише модератори")
    await _refused(intruder, WizardCB(wizard="poll", action=WizardAction.SUBMIT,
                                      version=1).pack(), "вже завершено")
    replies = await intruder.send("/polls_admin")
    assert replies[-1].text.startswith("Невідома команда")

    assert await _state(app) == before
    texts = "\n".join(s.text or "" for s in app.fake.to_chat(INTRUDER))
    assert SECRET not in texts and "Відкрите для всіх" in texts
    # The lists never show a draft either.
    await intruder.callback(PollListCB(kind=Shelf.CLOSED).pack())
    await intruder.callback(PollListCB(kind=Shelf.OPEN).pack())
    assert SECRET not in "\n".join(s.text or "" for s in app.fake.to_chat(INTRUDER))


async def test_staff_buttons_need_a_moderator_and_a_real_poll(bot_app):
    ids = await _world(bot_app)
    await bot_app.make_staff(int(MODERATOR.external_id), Role.MODERATOR)
    await bot_app.make_staff(PRESS, Role.PRESS)
    moderator = bot_app.resident(int(MODERATOR.external_id), "Мод")
    press = bot_app.resident(PRESS, "Прес")
    await moderator.send("/polls_admin")
    before = await _state(bot_app)
    for action in StaffAction:
        await _refused(press, PollStaffCB(action=action, poll_id=ids["open"],
                                          part=EditPart.OPTIONS).pack(), STALE)
        await _refused(moderator, PollStaffCB(action=action, poll_id=MISSING,
                                              part=EditPart.OPTIONS).pack(), NOT_FOUND)
    await _refused(press, WizardCB(wizard="poll", action=WizardAction.START).pack(),
                   "лише модератори")
    await _refused(moderator, PollStaffCB(action=StaffAction.CLOSE_YES,
                                          poll_id=ids["closed"]).pack(), "вже закрите")
    await _refused(moderator, PollStaffCB(action=StaffAction.EDIT, poll_id=ids["open"],
                                          version=1, part=EditPart.NONE).pack(), NOT_FOUND)
    await _refused(moderator, PollStaffCB(action=StaffAction.EDIT, poll_id=ids["open"],
                                          version=5, part=EditPart.QUESTION).pack(), "змінили")
    assert await _state(bot_app) == before
    assert SECRET not in "\n".join(s.text or "" for s in bot_app.fake.to_chat(PRESS))
