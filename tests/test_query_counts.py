"""How many SQL statements the busiest taps cost: a later change that adds queries fails here.

Counted on the real dispatcher and a real database, from the moment the update is fed until
its handler is done. Today: sign 4 / menu 0 / card 1 on SQLite (the profile cache and the
role-version file read spare the lookups), 6 / 2 / 3 on PostgreSQL; the bounds leave room for
one cache reload (the role cache's ttl can run out on a slow machine), not for a new query
per tap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.test_petitions_bot import onboarded, publish

# The most statements each tap may take.
SIGN_TAP = 7
MENU_TAP = 3
CARD_OPEN = 4


@contextmanager
def counting(bot_app) -> Iterator[list[str]]:
    engine = bot_app.sessionmaker.kw["bind"].sync_engine
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


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
    assert len(menu) <= MENU_TAP, menu
    assert len(card) <= CARD_OPEN, card
