"""Command line: `python -m bot run | web | chat | migrate | admin add|remove|list <who>
| import-votes PATH... | demo-data`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from bot.channels.terminal import cli as terminal_cli
from bot.config import Settings

# Shell commands that never talk to Telegram (import-votes) run without a BOT_TOKEN; this
# stand-in satisfies the token check and is never sent anywhere.

def load_settings(needs_token: bool = True) -> Settings:
    """Settings, or one clear line and exit code 2 (no traceback) when they are wrong.

    Only the commands that talk to a messenger need a token (BOT_TOKEN, or VIBER_TOKEN for a
    bot on Viber alone); the others ignore BOT_TOKEN, even a malformed one (a deploy migrates
    before the bot's own secrets are there).
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
    if needs_token and settings.bot_token is None and settings.viber_token is None:
        _configuration_error("BOT_TOKEN: is missing (or VIBER_TOKEN for a bot on Viber alone)")
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


async def admin(settings: Settings, action: str, who: str | None) -> None:
    """`admin add|remove <who>`: a Telegram id, `viber:<id>`, or a resident's verified phone
    (every messenger account of theirs: how a Viber-only council names its first admin)."""
    from services import roles
    from services.db import make_engine, make_sessionmaker
    from services.errors import InvalidInput
    from services.models import Channel, Role

    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if action == "list":
                for m in await roles.list_staff(session, None,
                                                [str(i) for i in settings.admin_ids]):
                    name = m.external_id if m.channel == Channel.TELEGRAM.value \
                        else f"{m.channel}:{m.external_id}"
                    print(name, ",".join(r.value for r in m.roles))
                return
            try:
                accounts = await roles.accounts_named(session, who or "")
            except InvalidInput as exc:
                raise SystemExit(
                    "admin add/remove needs a numeric Telegram id, viber:<id> or the +380... "
                    "phone a resident verified in the bot"
                    + (" (no resident verified it)" if exc.message_key != "staff.usage" else "")
                ) from None
            change = roles.grant if action == "add" else roles.revoke
            changed = [await change(session, "cli", channel, external_id, Role.ADMIN)
                       for channel, external_id in accounts]
            await session.commit()
            print(f"{action}: {who} ({'done' if any(changed) else 'no change'})")
    finally:
        await engine.dispose()


def _vote_files(paths: Sequence[str]) -> list[tuple[str, Path]]:
    """Files named on the command line; a folder stands for the files in it (sorted)."""
    found: list[tuple[str, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend((str(p), p) for p in sorted(path.rglob("*"))
                         if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            found.append((raw, path))
        else:
            raise SystemExit(f"import-votes: no such file or folder: {raw}")
    return found


async def import_votes(settings: Settings, args: argparse.Namespace) -> int:
    """Import vote files from the shell; prints the report; exit code 1 if any was rejected."""
    from sqlalchemy.exc import DBAPIError

    from services.db import make_engine, make_sessionmaker
    from services.i18n import get_translator
    from services.votes.access import Actor
    from services.votes.archive import UploadedFile
    from services.votes.importer import ImportOptions, import_files
    from services.votes.report import render_report
    from services.votes.rules import VotesLimits

    files = [UploadedFile(name, path.read_bytes()) for name, path in _vote_files(args.paths)]
    limits = VotesLimits.from_megabytes(settings.votes_max_file_mb,
                                        settings.votes_max_unpacked_mb,
                                        settings.votes_max_zip_members)
    options = ImportOptions(add_unknown_deputies=args.add_unknown_deputies,
                            partial_zip=args.partial_zip, lenient_json=args.lenient_json)
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                report = await import_files(session, Actor.shell(), files, limits=limits,
                                            options=options)
                await session.commit()
            except DBAPIError as exc:
                print(f"import-votes: database error ({exc.orig}); is the schema up to date? "
                      "run `python -m bot migrate`", file=sys.stderr)
                return 2
    finally:
        await engine.dispose()
    tr = get_translator().for_language(args.lang or settings.default_language)
    for line in render_report(tr, report):
        print(line)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start the bot: Telegram by long polling (and "
                                "Viber's webhook when VIBER_TOKEN is set)")
    run_parser.add_argument("--chat-without-token", action="store_true",
                            help="with no BOT_TOKEN (nor VIBER_TOKEN) configured, open the "
                            "terminal chat instead (what `make run` does)")
    sub.add_parser("web", help="start the aiohttp webhook server (Telegram and/or Viber)")
    sub.add_parser("migrate", help="upgrade the database to the latest schema")
    admin_parser = sub.add_parser("admin", help="manage bootstrap admins")
    admin_parser.add_argument("action", choices=["add", "remove", "list"])
    admin_parser.add_argument("who", nargs="?",
                              help="a Telegram id, viber:<id>, or a resident's +380... phone")
    votes_parser = sub.add_parser(
        "import-votes", help="import council roll-call vote files (JSON, CSV, ZIP); "
        "needs no BOT_TOKEN")
    votes_parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    votes_parser.add_argument("--add-unknown-deputies", action="store_true",
                              help="create deputies for roll-call names not in the list")
    votes_parser.add_argument("--partial-zip", action="store_true",
                              help="import a ZIP's good files even if some are rejected")
    votes_parser.add_argument("--lenient-json", action="store_true",
                              help="accept raw line breaks inside JSON strings")
    votes_parser.add_argument("--lang", choices=["uk", "en"], help="language of the report")
    terminal_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command == "run" and args.chat_without_token and terminal_cli.no_token_configured():
        print(terminal_cli.GO_LIVE_HINT)
        args = parser.parse_args(["chat"])

    settings = load_settings(needs_token=args.command in ("run", "web"))
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "import-votes":
        raise SystemExit(asyncio.run(import_votes(settings, args)))
    elif args.command == "admin":
        asyncio.run(admin(settings, args.action, args.who))
    elif args.command in terminal_cli.COMMANDS:
        raise SystemExit(asyncio.run(terminal_cli.run(settings, args)))
    elif args.command == "run":
        from bot.serve import run_polling

        _serve(settings, run_polling)
    elif args.command == "web":
        from bot.serve import run_web

        _serve(settings, run_web)


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
