"""The command lists Telegram shows match the commands the routers actually handle."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands import RESIDENT_COMMANDS, STAFF_COMMANDS
from services.i18n import LANGUAGES, catalog_keys

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"


def _handled() -> set[str]:
    found: set[str] = {"start"}  # CommandStart()
    for path in HANDLERS.glob("*.py"):
        found |= set(re.findall(r'Command\("([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_listed_command_is_handled_and_every_handled_one_listed():
    listed = set(RESIDENT_COMMANDS) | {c for names in STAFF_COMMANDS.values() for c in names}
    handled = _handled()
    assert listed - handled == set(), "listed but nobody handles them"
    assert handled - listed == set(), "handled but missing from the command menus"


def test_every_listed_command_has_a_description_in_every_language():
    listed = set(RESIDENT_COMMANDS) | {c for names in STAFF_COMMANDS.values() for c in names}
    for language in LANGUAGES:
        keys = catalog_keys(language)
        assert {f"cmd.{c}" for c in listed} <= set(keys), language
