"""Roles: admins grant and revoke in chat; every staff action is audited; residents see nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from services import roles
from services.models import AuditEntry, Channel, Role
from tests.fakes.resident import wait_for

ADMIN = 500
ROOT = Path(__file__).resolve().parent.parent


async def test_admin_grants_and_revokes_with_audit(bot_app):
    await bot_app.make_staff(ADMIN, Role.ADMIN)
    admin = bot_app.resident(ADMIN)
    replies = await admin.send("/grant 777 moderator")
    assert "надано" in replies[-1].text
    # The new moderator's chat gets the staff command list in its own scope.
    scoped = [c for c in bot_app.fake.commands if c.get("scope", {}).get("chat_id") == 777]
    assert scoped and any(cmd["command"] == "petitions_queue" for cmd in scoped[-1]["commands"])
    replies = await admin.send("/grant 777 moderator")
    assert "вже має" in replies[-1].text
    replies = await admin.send("/staff")
    assert "777" in replies[-1].text and "модератор" in replies[-1].text
    replies = await admin.send("/revoke 777 moderator")
    assert "відкликано" in replies[-1].text
    async with bot_app.sessionmaker() as session:
        assert await roles.roles_of(session, Channel.TELEGRAM, "777") == frozenset()
        actions = [(a.actor, a.action, a.target_id) for a in await session.scalars(
            select(AuditEntry).order_by(AuditEntry.id))]
    assert ("telegram:500", "role.grant", "telegram:777") in actions
    assert ("telegram:500", "role.revoke", "telegram:777") in actions


async def test_bad_grant_arguments_get_usage(bot_app):
    await bot_app.make_staff(ADMIN, Role.ADMIN)
    admin = bot_app.resident(ADMIN)
    assert "Формат" in (await admin.send("/grant"))[-1].text
    assert "Невідома роль" in (await admin.send("/grant 12 wizard"))[-1].text
    assert "Формат" in (await admin.send("/grant abc moderator"))[-1].text


async def test_non_staff_gets_the_unknown_command_answer(bot_app):
    resident = bot_app.resident(600)
    unknown = (await resident.send("/definitely_not_a_command"))[-1].text
    for command in ("/grant 600 admin", "/revoke 1 admin", "/staff"):
        assert (await resident.send(command))[-1].text == unknown
    async with bot_app.sessionmaker() as session:
        assert await roles.roles_of(session, Channel.TELEGRAM, "600") == frozenset()


async def test_moderator_is_not_admin(bot_app):
    await bot_app.make_staff(601, Role.MODERATOR)
    moderator = bot_app.resident(601)
    unknown = (await moderator.send("/nope"))[-1].text
    assert (await moderator.send("/grant 1 admin"))[-1].text == unknown


async def test_bootstrap_admins_from_config(bot_app_factory):
    from bot.app import on_startup
    from services.i18n import get_translator

    app = await bot_app_factory(admin_ids="900,901")
    await on_startup(app.bot, app.settings, get_translator(), app.sessionmaker)
    async with app.sessionmaker() as session:
        assert Role.ADMIN in await roles.roles_of(session, Channel.TELEGRAM, "901")
    # Residents' command lists were published in both languages and by default.
    default = [c for c in app.fake.commands if c.get("scope", {}).get("type") == "default"]
    assert {c.get("language_code") for c in default} == {None, "uk", "en"}
    replies = await app.resident(900).send("/staff")
    assert "900" in replies[-1].text and "901" in replies[-1].text


async def test_grant_and_revoke_in_one_process_hold_in_another_at_once(
        bot_app, database_url, redis_url):
    """A `/revoke` in this dispatcher: a second bot process refuses the very next staff command.

    The second process is the real `python -m bot run` polling the same fake API (two
    dispatchers in one interpreter would share its routers and module state).
    """
    await bot_app.make_staff(ADMIN, Role.ADMIN)
    admin = bot_app.resident(ADMIN)
    unknown = (await bot_app.resident(601).send("/nope"))[-1].text
    fake = bot_app.fake
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
           "BOT_TOKEN": "123456:" + "C" * 35, "TELEGRAM_API_BASE": fake.url,
           "DATABASE_URL": database_url, "REDIS_URL": redis_url or "",
           "SCHEDULER_ENABLED": "false", "DELIVERY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    other = subprocess.Popen(  # noqa: ASYNC220 - the other process runs beside this loop
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    async def in_other_process(text: str) -> str:
        before = len(fake.to_chat(778))
        await fake.push_update({"message": {
            "message_id": before + 1, "date": 0, "chat": {"id": 778, "type": "private"},
            "from": {"id": 778, "is_bot": False, "first_name": "M", "language_code": "uk"},
            "text": text, "entities": [{"type": "bot_command", "offset": 0,
                                        "length": len(text.split()[0])}]}})
        await wait_for(lambda: len(fake.to_chat(778)) > before, within=60)
        return fake.to_chat(778)[-1].text or ""

    try:
        assert await in_other_process("/staff") == unknown  # its roles are loaded now
        assert "надано" in (await admin.send("/grant 778 admin"))[-1].text
        assert "778" in await in_other_process("/staff")
        assert "відкликано" in (await admin.send("/revoke 778 admin"))[-1].text
        assert await in_other_process("/staff") == unknown
    finally:
        other.send_signal(signal.SIGTERM)
        _out, err = await asyncio.to_thread(other.communicate, timeout=30)
    assert "Traceback" not in err


def _admin_cli(database_url: str, action: str, telegram_id: int) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
           "BOT_TOKEN": "123456:" + "C" * 35, "DATABASE_URL": database_url,
           "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "bot", "admin", action, str(telegram_id)], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=60)


async def test_an_admin_changed_from_the_shell_counts_on_the_next_update(bot_app, database_url):
    """`python -m bot admin add|remove` is another process: the running bot obeys it at once."""
    await bot_app.make_staff(ADMIN, Role.ADMIN)
    admin, newcomer = bot_app.resident(ADMIN), bot_app.resident(779)
    unknown = (await newcomer.send("/nope"))[-1].text
    assert "500" in (await admin.send("/staff"))[-1].text  # the roles are cached now

    await asyncio.to_thread(_admin_cli, database_url, "remove", ADMIN)
    assert (await admin.send("/staff"))[-1].text == unknown

    await asyncio.to_thread(_admin_cli, database_url, "add", 779)
    assert "779" in (await newcomer.send("/staff"))[-1].text
