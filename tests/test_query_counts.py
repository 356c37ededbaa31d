"""How many SQL statements the busiest taps cost: a later change that adds queries fails here.

Counted on the real dispatcher and a real database, from the moment the update is fed until
its handler is done. Today: sign 3 (BEGIN IMMEDIATE, counter, insert, on the loop's thread) /
menu 0 / card 1 on SQLite (the profile cache and the
role-version file read spare the lookups), 4 / 2 / 3 on PostgreSQL; the bounds leave room for
one cache reload (the role cache's ttl can run out on a slow machine), not for a new query
per tap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.engine.default import CACHE_HIT, DefaultExecutionContext

from services.db import utcnow
from services.models import Resident
from services.sqlite_inline import writer_for
from tests.fakes.resident import wait_for
from tests.polls_support import bot_poll
from tests.test_petitions_bot import onboarded, publish
from tests.viber_residents import onboarded as viber_onboarded

pytest_plugins = ("tests.viber_support",)

# The most statements each tap may take.
SIGN_TAP = 5
MENU_TAP = 3
CARD_OPEN = 4
POLL_ANSWER = 4


class Statements(list[str]):
    """The verbs of the statements run; `sql`: their text; `missed`: those SQLAlchemy had to
    compile."""

    def __init__(self) -> None:
        super().__init__()
        self.sql: list[str] = []
        self.missed: list[str] = []


@contextmanager
def counting(bot_app) -> Iterator[Statements]:
    engine = bot_app.sessionmaker.kw["bind"].sync_engine
    statements = Statements()

    def count(_conn: Any, _cursor: Any, statement: str, _params: Any,
              context: DefaultExecutionContext, _many: bool) -> None:
        verb = statement.split(None, 1)[0].upper()
        statements.append(verb)
        statements.sql.append(statement)
        if context.compiled is not None and context.cache_hit is not CACHE_HIT:
            statements.missed.append(statement.split("(", 1)[0][:80])

    # With the statements a tap runs on the loop's thread (SQLite: services/sqlite_inline.py).
    writer = writer_for(engine)
    engines = [engine] + ([writer.engine] if writer is not None else [])
    for counted in engines:
        event.listen(counted, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for counted in engines:
            event.remove(counted, "before_cursor_execute", count)


async def test_a_sign_tap_a_menu_tap_and_a_card_open_need_few_statements(bot_app):
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    signer = await onboarded(bot_app, 12, "Петренко Іван")
    await signer.send(f"/start petition_{pid}")  # warm: the first card of a process
    with counting(bot_app) as card:
        await signer.send(f"/start petition_{pid}")
    with counting(bot_app) as sign:
        await signer.press("Підписати")
    assert "Ви підписали цю петицію" in signer.last.text
    await signer.send("/menu")
    with counting(bot_app) as menu:
        await signer.press("Петиції")
    assert len(sign) <= SIGN_TAP, sign
    if bot_app.sessionmaker.kw["bind"].dialect.name == "sqlite":
        assert sign == ["BEGIN", "UPDATE", "INSERT"], sign  # on the loop's thread
    assert len(menu) <= MENU_TAP, menu
    assert len(card) <= CARD_OPEN, card


async def second_tap(bot_app, link: str, button: str) -> tuple[Any, Statements]:
    """Two residents open `link`; the first presses `button`, then the second, counted (the
    first tap of a process builds and caches what the second reuses)."""
    first = await onboarded(bot_app, 12, "Петренко Іван")
    second = await onboarded(bot_app, 13, "Коваль Марія")
    for person in (first, second):
        await person.send(f"/start {link}")
    await first.press(button)
    with counting(bot_app) as statements:
        await second.press(button)
    return second, statements


async def test_a_second_signature_compiles_no_sql(bot_app):
    """Every statement of a sign tap comes from SQLAlchemy's cache once one tap made it (an
    uncacheable statement, such as a dialect's INSERT ... ON CONFLICT, costs ~0.3 ms a tap)."""
    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    second, statements = await second_tap(bot_app, f"petition_{pid}", "Підписати")
    assert "Ви підписали цю петицію" in second.last.text
    assert statements.missed == []


async def test_a_poll_answer_needs_few_statements_and_compiles_none(bot_app):
    """A first answer: the poll's counter, the answer, the choice; on SQLite, to a poll this
    process has read, with no read of its own (4 with BEGIN IMMEDIATE), on PostgreSQL with
    the card read first and its profile lookups (6)."""
    poll_id = await bot_poll(bot_app)
    second, statements = await second_tap(bot_app, f"poll_{poll_id}", "1. Так")
    assert "Ваша відповідь: 1. Так" in second.last.text
    postgres = bot_app.sessionmaker.kw["bind"].dialect.name == "postgresql"
    assert len(statements) <= POLL_ANSWER + (2 if postgres else 0), statements
    if not postgres:  # on the loop's thread, the card from the counter's RETURNING
        assert statements == ["BEGIN", "UPDATE", "INSERT", "INSERT"], statements
    assert statements.missed == []


async def test_a_polling_batch_of_taps_looks_its_senders_up_in_one_query(bot_app):
    """Residents the process has not seen lately (a burst after a broadcast) tapping in one
    getUpdates batch: their profiles come in one query, not one per tap (on SQLite; on
    PostgreSQL, where many processes write, profiles are not kept and each tap asks)."""
    people = [await onboarded(bot_app, 41 + k, "Петренко Іван") for k in range(3)]
    async with bot_app.sessionmaker() as session:
        # Any write to residents makes every profile this process keeps stale.
        await session.execute(update(Resident).values(updated_at=utcnow()))
        await session.commit()
    answered = len(bot_app.fake.sent)
    task = asyncio.create_task(bot_app.dp.start_polling(
        bot_app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1))
    try:
        with counting(bot_app) as statements:
            await bot_app.fake.push_updates(
                [{"message": person._message(text="/menu")} for person in people])
            await wait_for(lambda: len(bot_app.fake.sent) >= answered + 3, within=30)
    finally:
        await bot_app.dp.stop_polling()
        await asyncio.wait_for(task, 30)
    assert {s.chat_id for s in bot_app.fake.sent[answered:]} == {41, 42, 43}
    lookups = [sql for sql in statements.sql if "channel_identities" in sql]
    postgres = bot_app.sessionmaker.kw["bind"].dialect.name == "postgresql"
    assert len(lookups) == (3 if postgres else 1), lookups


async def test_a_claimed_batch_of_viber_callbacks_looks_its_senders_up_in_one_query(viber):
    """The same on Viber: the callbacks a processor claims as one batch."""
    people = [await viber_onboarded(viber, f"batch-{k}-HsWTZ2Yf2NkRZ8Kc==") for k in range(3)]
    async with viber.telegram.sessionmaker() as session:
        await session.execute(update(Resident).values(updated_at=utcnow()))
        await session.commit()
    before = {person.id: len(person.sent) for person in people}
    for person in people:  # stored by the webhook, handled only when the processor drains
        status, _ = await viber.fake.post(person._event(
            "message", sender=person.user.as_json(), message={"type": "text", "text": "/menu"}))
        assert status == 200
    with counting(viber.telegram) as statements:
        await viber.drain()
    assert all(len(person.sent) > before[person.id] for person in people)
    lookups = [sql for sql in statements.sql
               if "FROM residents JOIN channel_identities" in sql
               or "FROM channel_identities JOIN residents" in sql]
    postgres = viber.telegram.sessionmaker.kw["bind"].dialect.name == "postgresql"
    assert len(lookups) == (3 if postgres else 1), lookups
