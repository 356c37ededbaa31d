"""Roles: admins grant and revoke in chat; every staff action is audited; residents see nothing."""

from __future__ import annotations

from sqlalchemy import select

from services import roles
from services.models import AuditEntry, Channel, Role

ADMIN = 500


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
