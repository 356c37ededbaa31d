"""The petitions feature as packages: one API from services/petitions/, loaded lazily; buttons
already in people's chats keep working; services name no messenger and build no URL."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import services.petitions as package
from bot.channels.telegram.transport import build_markup
from handlers.petitions.actions import CardAction, StaffList
from handlers.petitions.callbacks import PetCB, PetListCB, PetSearchCB, PetStaffListCB
from services import petitions
from services.models import Channel, OutboxMessage, Signature
from services.petitions import ListKind
from tests.fakes.telegram_api import BOT_USERNAME
from tests.test_petitions_bot import onboarded, petition_row, publish
from tests.test_petitions_service import TEXT, TITLE, make_resident, published

ROOT = Path(__file__).resolve().parent.parent


def test_every_name_a_module_exports_is_the_packages_once():
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert set(package.API_MODULES) == modules - {"models"}
    owner: dict[str, str] = {}
    for name in package.API_MODULES:
        module = importlib.import_module(f"services.petitions.{name}")
        for export in module.__all__:
            assert export not in owner, f"{export} in both {owner[export]} and {name}"
            owner[export] = name
            assert getattr(package, export) is getattr(module, export)
    assert {"create", "sign", "approve", "PetitionRules", "ListKind", "close_expired"} <= set(owner)
    with pytest.raises(AttributeError):
        _ = package.no_such_name


@pytest.mark.parametrize("first", ["import services.models", "import services.petitions",
                                   "import services.appeals"])
def test_the_package_loads_its_modules_on_first_use(first: str):
    """services.models imports the tables while it loads: the rest must not come along."""
    code = (f"{first}\nimport sys\nimport services.petitions\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('services.petitions.'))\n"
            "assert set(loaded) <= {'services.petitions.models'}, loaded\n"
            "from services import petitions\nassert petitions.sign and petitions.NO_DRAFT\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_residents_buttons_keep_the_wire_format_of_sent_messages():
    assert PetListCB(kind=ListKind.NEWEST).pack() == "pl:new:0"
    assert PetCB(action=CardAction.SIGN, id=12).pack() == "pc:sign:12::0"
    assert PetCB.unpack("pc:open:5:top:2") == PetCB(action=CardAction.OPEN, id=5,
                                                    kind=ListKind.MOST_SIGNED, page=2)
    assert PetCB.unpack("pc:withdraw:7::0").kind is None
    assert PetSearchCB().pack() == "ps"
    assert PetStaffListCB(which=StaffList.AWAITING, page=1).pack() == "pq:awaiting:1"
    for forged in ("pl:ask:0", "pl:nope:0", "pc:delete:5::0", "pc:open:5:nope:0"):
        with pytest.raises(ValueError):
            (PetCB if forged.startswith("pc") else PetListCB).unpack(forged)


def test_a_link_button_becomes_the_bots_deep_link_on_telegram():
    buttons = [[{"text": "Open", "link": "petition_12"}, {"text": "Site", "url": "https://x.ua"}]]
    [[link, url]] = build_markup(buttons, BOT_USERNAME).inline_keyboard  # type: ignore[union-attr]
    assert link.url == f"https://t.me/{BOT_USERNAME}?start=petition_12"
    assert url.url == "https://x.ua"
    [[only]] = build_markup(buttons).inline_keyboard  # type: ignore[union-attr]
    assert only.text == "Site"


async def test_notices_carry_a_deep_link_payload_and_the_channels_they_are_given(session):
    rules = petitions.PetitionRules(threshold=1, council_channel_id="pa:council",
                                    council_channel=Channel.VIBER)
    author = await make_resident(session, 1)
    petition = await published(session, author, rules, title=TITLE, text=TEXT)
    await petitions.sign(session, rules, petition.id, author, channel=Channel.VIBER)
    await session.commit()
    assert await session.scalar(select(Signature.channel)) == "viber"
    rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    council = [(r.channel, r.chat_id) for r in rows if r.chat_id == "pa:council"]
    assert council == [("viber", "pa:council")] * 2  # published, threshold reached
    to_author = [r.buttons for r in rows if r.chat_id == "1"]
    open_card = [[{"text": "📝 Відкрити петицію", "link": f"petition_{petition.id}"}]]
    assert to_author == [open_card, open_card]  # published, threshold reached
    assert not any("t.me" in str(r.buttons) + r.text for r in rows)


async def test_buttons_of_messages_sent_before_the_update_still_work(bot_app):
    c = await onboarded(bot_app, 31)
    pid = await publish(bot_app, 31, threshold=5)
    await c.send("/menu")
    await c.press("Петиції")
    section = c.last
    await c.callback("pl:ask:0", section)  # the old search button
    assert "Надішліть одне або кілька слів" in c.last.text
    assert c.last.message_id == section.message_id
    await c.callback(f"pc:sign:{pid}:new:0", section)  # an old card's "sign", from a list
    assert (await petition_row(bot_app, pid)).signature_count == 1
    assert "До списку" in str(c.last.buttons)
