"""Command line: `python -m bot run | web | migrate | admin add|remove|list <telegram id>`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NoReturn

from pydantic import ValidationError

from bot.config import Settings


def load_settings(needs_token: bool = True) -> Settings:
    """Settings, or one clear line and exit code 2 (no traceback) when they are wrong.

    Only the commands that talk to Telegram need BOT_TOKEN; the others ignore it, even a
    malformed one (a deploy migrates before the bot's own secrets are there).
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        errors = [err for err in exc.errors() if needs_token or err["loc"] != ("bot_token",)]
        if not errors:
            return Settings(bot_token=None)
        _configuration_error("; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: "
            f"{'is missing' if err['type'] == 'missing' else err['msg']}"
            for err in errors
        ))
    if needs_token and settings.bot_token is None:
        _configuration_error("BOT_TOKEN: is missing")
    return settings


def _configuration_error(problems: str) -> NoReturn:
    print(f"configuration error: {problems} (see .env.example)", file=sys.stderr)
    raise SystemExit(2) from None


def migrate(settings: Settings) -> None:
    from alembic import command

    from migrations.config import alembic_config

    settings.ensure_data_dir()
    command.upgrade(alembic_config(settings.database_url), "head")
    print("database is up to date")


async def admin(settings: Settings, action: str, telegram_id: str | None) -> None:
    from services import roles
    from services.db import make_engine, make_sessionmaker
    from services.models import Channel, Role

    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if action == "list":
                for m in await roles.list_staff(session, Channel.TELEGRAM,
                                                [str(i) for i in settings.admin_ids]):
                    print(m.external_id, ",".join(r.value for r in m.roles))
                return
            if telegram_id is None or not telegram_id.lstrip("-").isdigit():
                raise SystemExit("admin add/remove needs a numeric Telegram id")
            if action == "add":
                changed = await roles.grant(session, "cli", Channel.TELEGRAM, telegram_id,
                                            Role.ADMIN)
            else:
                changed = await roles.revoke(session, "cli", Channel.TELEGRAM, telegram_id,
                                             Role.ADMIN)
            await session.commit()
            print(f"{action}: {telegram_id} ({'done' if changed else 'no change'})")
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot with long polling")
    sub.add_parser("web", help="start the aiohttp webhook server")
    sub.add_parser("migrate", help="upgrade the database to the latest schema")
    admin_parser = sub.add_parser("admin", help="manage bootstrap admins")
    admin_parser.add_argument("action", choices=["add", "remove", "list"])
    admin_parser.add_argument("telegram_id", nargs="?")
    args = parser.parse_args(argv)

    settings = load_settings(needs_token=args.command in ("run", "web"))
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "admin":
        asyncio.run(admin(settings, args.action, args.telegram_id))
    elif args.command == "run":
        from bot.app import run_polling

        _serve(settings, run_polling)
    elif args.command == "web":
        from bot.webhook import run_webhook

        _serve(settings, run_webhook)


def _serve(settings: Settings, serve: Callable[[Settings], Coroutine[Any, Any, None]]) -> None:
    """Run the bot; a token Telegram refuses, or no way to reach it, is one clear line."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    try:
        asyncio.run(serve(settings))
    except TelegramUnauthorizedError:
        print("configuration error: Telegram does not accept BOT_TOKEN (401 Unauthorized); "
              "copy it again from @BotFather", file=sys.stderr)
        raise SystemExit(2) from None
    except TelegramNetworkError as exc:
        where = settings.telegram_api_base or "https://api.telegram.org"
        print(f"cannot reach the Telegram Bot API at {where}: {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
