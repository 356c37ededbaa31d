"""The real polling loop against the fake Bot API: onboarding, and surviving a failing update."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from services.models import Resident
from tests.fakes.resident import ResidentClient, wait_for


@pytest.fixture
async def polling(bot_app) -> AsyncIterator[object]:
    task = asyncio.create_task(
        bot_app.dp.start_polling(bot_app.bot, handle_signals=False, close_bot_session=False,
                                 polling_timeout=1)
    )
    await wait_for(lambda: bot_app.fake.last_offset is not None)
    yield bot_app
    await bot_app.dp.stop_polling()
    await asyncio.wait_for(task, 10)


def polled_resident(app, user_id: int, language_code: str = "uk") -> ResidentClient:
    """A resident whose updates go through getUpdates, and who waits for each answer."""

    def activity() -> int:
        return len(app.fake.sent) + len(app.fake.callback_answers)

    async def push(update: dict) -> None:
        before = activity()
        update_id = await app.fake.push_update(update)
        # Done when the bot confirmed the update (offset moved past it), answered something,
        # and then went quiet: a handler may send several messages, like a person reads them.
        await wait_for(lambda: (app.fake.last_offset or 0) > update_id and activity() > before)
        while True:
            seen = activity()
            await asyncio.sleep(0.15)
            if activity() == seen:
                return

    return ResidentClient(app.fake, push, user_id, "Олена", language_code)


async def test_onboarding_through_the_polling_loop(polling):
    app = polling
    olena = polled_resident(app, 7001)
    await olena.onboard(phone="+380501230001")
    assert "Профіль збережено" in " ".join(olena.texts())
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.is_complete
    # The button presses were answered (no spinning clock).
    assert len(app.fake.callback_answers) == 2


async def test_a_failing_update_gets_an_apology_and_the_loop_goes_on(polling):
    app = polling
    app.expect_errors = True
    c = polled_resident(app, 7002, language_code="en")
    async with app.sessionmaker() as session:
        await session.execute(text("ALTER TABLE channel_identities RENAME TO identities_away"))
        await session.commit()
    await c.send("/start")
    assert "Sorry, something went wrong" in c.last.text
    assert app.errors.records, "the failure was logged"
    assert "update" in app.errors.records[0].getMessage()
    async with app.sessionmaker() as session:
        await session.execute(text("ALTER TABLE identities_away RENAME TO channel_identities"))
        await session.commit()
    await c.send("/start")
    assert "Step 1 of 6" in c.last.text


async def test_quick_taps_are_handled_in_order(polling):
    """A whole onboarding sent at once (no waiting between steps) still lands step by step."""
    app = polling
    sent_at_once: list[dict] = []

    async def collect(update: dict) -> None:
        sent_at_once.append(update)

    c = ResidentClient(app.fake, collect, 7003, "Олена", "uk")
    await c.send("/start")
    for update in sent_at_once:
        await app.fake.push_update(update)
    await wait_for(lambda: any(b["text"].startswith("🇺🇦") for m in c.sent for b in m.buttons))
    language_message = c.last
    sent_at_once.clear()
    # Every remaining step, pushed back to back before the bot answered any of them.
    await c.press("Українська", language_message)
    await c._deliver({"callback_query": {
        "id": "consent", "from": c.user, "chat_instance": "x", "data": "ob:consent:yes",
        "message": {"message_id": language_message.message_id, "date": 0,
                    "chat": {"id": 7003, "type": "private"}, "text": "?"}}})
    await c.contact("+380501230003")
    await c.send("Коваленко Олена")
    await c.send("вул. Миру")
    await c.send("5")
    for update in sent_at_once:
        await app.fake.push_update(update)
    await wait_for(lambda: any("Профіль збережено" in t for t in c.texts()), within=10)
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.address == "вул. Миру, 5"


async def test_an_update_that_cannot_be_read_is_skipped_and_the_loop_goes_on(polling, caplog):
    """Telegram sends what it sends: one malformed update must not stall everybody."""
    app = polling
    first, second = polled_resident(app, 7004, "en"), polled_resident(app, 7005, "en")
    await first.send("/start")
    bad_id = await app.fake.push_update({"message": {"message_id": "x", "chat": 5}})
    await second.send("/start")
    assert "Step 1 of 6" in first.last.text and "Step 1 of 6" in second.last.text
    assert (app.fake.last_offset or 0) > bad_id
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1 and str(bad_id) in skipped[0].getMessage()
    assert not skipped[0].exc_info
    assert not [r for r in caplog.records if "Failed to fetch updates" in r.getMessage()]


async def test_a_stop_waits_for_the_updates_in_progress(bot_app):
    """Polling handles updates as tasks: closing the database under one would fail it."""
    release, entered = asyncio.Event(), asyncio.Event()

    async def slow(handler, message, data) -> None:
        entered.set()
        await release.wait()

    bot_app.dp.message.outer_middleware(slow)
    handling = asyncio.create_task(bot_app.resident(7006).send("hello"))
    await entered.wait()
    waiting = asyncio.create_task(bot_app.dp.wait_idle(within=30))
    await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 5)
    await handling
