"""The terminal channel's subcommands of `python -m bot`: `chat` and `demo-data`, and the
fallback of `make run` on a fresh clone (no token: the chat)."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from bot.channels.terminal.account import ACCOUNT_ID, DEFAULT_ACCOUNT
from bot.config import Settings

COMMANDS = ("chat", "demo-data")
STAFF_ROLES = ("moderator", "press", "admin")  # services.models.Role (checked by a test)
GO_LIVE_HINT = ("No BOT_TOKEN set: opening the bot in this terminal. To go live on Telegram, "
                "put BOT_TOKEN=<token from @BotFather> in .env and run `make run` again.")


def _account(value: str) -> str:
    if not ACCOUNT_ID.match(value):
        raise argparse.ArgumentTypeError("an account id is 1-32 of A-Z a-z 0-9 _ . -")
    return value


def add_parsers(sub: Any) -> None:
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (the whole bot on "
                          "the configured database); needs no BOT_TOKEN")
    chat.add_argument("--staff", action="append", default=[], metavar="ROLE",
                      choices=STAFF_ROLES, help="make the terminal user staff with ROLE "
                      f"(repeatable; {', '.join(STAFF_ROLES)}); without it, a resident")
    chat.add_argument("--as", dest="account", type=_account, default=DEFAULT_ACCOUNT,
                      metavar="ID", help="the terminal account to be (default "
                      "%(default)s); another ID is another person")
    sub.add_parser("demo-data", help="fill an empty database with sample petitions, events, "
                   "a poll and a council session; needs no BOT_TOKEN")


def no_token_configured() -> bool:
    """No messenger token at all (a fresh clone). A token that is set but malformed is not
    this case: `run` reports it as usual."""
    try:
        settings = Settings()
    except ValidationError:
        return False
    return settings.bot_token is None and settings.viber_token is None


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "chat":
        from bot.channels.terminal.run import run_chat
        from services.models import Role

        return await run_chat(settings, account_id=args.account,
                              staff=[Role(r) for r in args.staff])
    from bot.channels.terminal.demo import fill_demo

    return await fill_demo(settings)
