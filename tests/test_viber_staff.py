"""Staff on Viber: roles granted by phone or as viber:<id>, staff commands typed as text, staff
notifications on Viber, and a broadcast composed on Viber (its Viber share shown, its report
back on Viber)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from services import jobs, roles
from services.db import utcnow
from services.models import Broadcast, Channel, InboundEvent, Role

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)
ROOT = Path(__file__).resolve().parent.parent
MODERATOR_ID = "MMMMMMMMMMMMMMMMMMMMMM=="


async def _phone_of(viber: ViberApp, viber_id: str) -> str:
    resident = await viber.resident_of(viber_id)
    assert resident is not None and resident.phone
    return resident.phone


async def test_a_telegram_admin_grants_a_viber_resident_by_phone(viber: ViberApp):
    telegram = viber.telegram
    await telegram.make_staff(500, Role.ADMIN)
    admin = telegram.resident(500)
    moderator = viber.resident(MODERATOR_ID, name="Мод")
    await moderator.onboard()
    unknown = (await moderator.send("/petitions_queue"))[-1].text
    assert "Невідома команда" in unknown

    phone = await _phone_of(viber, MODERATOR_ID)
    spaced = f"{phone[:4]} {phone[4:6]} {phone[6:]}"
    await admin.send(f"/grant {spaced} moderator")
    assert "надано" in admin.last.text and phone in admin.last.text.replace(" ", "")
    async with telegram.sessionmaker() as session:
        assert Role.MODERATOR in await roles.roles_of(session, Channel.VIBER, MODERATOR_ID)
    await admin.send("/staff")
    assert f"viber:{MODERATOR_ID}" in admin.last.text
    await admin.send("/grant +380000000000 moderator")
    assert "не підтвердив номер" in admin.last.text
    await admin.send("/grant viber:<script> moderator")
    assert "Формат" in admin.last.text

    # The moderator's command, typed as text on Viber, and a moderation notice on Viber.
    await moderator.send("/petitions_queue")
    assert moderator.last.text != unknown
    author = viber.resident("AAAAAAAAAAAAAAAAAAAAAA==")
    await author.onboard()
    await author.send("/menu")
    await author.press("Петиції")
    await author.press("Створити петицію")
    await author.send("Відремонтувати дорогу на вулиці Миру")
    await author.send("Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру.")
    await author.press("Подати петицію")
    before = len(moderator.sent)
    assert await viber.deliver() >= 1
    assert any("модерац" in t.lower() for t in moderator.texts()[before:])

    await admin.send(f"/revoke {phone} moderator")
    assert "відкликано" in admin.last.text
    assert (await moderator.send("/petitions_queue"))[-1].text == unknown


def _admin_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
           "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", "admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_a_viber_only_council_names_its_first_admin_from_the_shell(
        viber: ViberApp, database_url: str):
    head = viber.resident("HHHHHHHHHHHHHHHHHHHHHH==", name="Голова")
    await head.onboard()
    phone = await _phone_of(viber, head.id)
    added = await asyncio.to_thread(_admin_cli, database_url, "add", phone)
    assert added.returncode == 0 and "done" in added.stdout, added.stderr
    listed = await asyncio.to_thread(_admin_cli, database_url, "list")
    assert f"viber:{head.id} admin" in listed.stdout
    unknown = await asyncio.to_thread(_admin_cli, database_url, "add", "+380000000001")
    assert unknown.returncode != 0 and "no resident verified it" in unknown.stderr

    # The Viber admin names another Viber account by its id, and lists the staff.
    await head.send("/grant viber:PPPPPPPPPPPPPPPPPPPPPP== press")
    assert "надано" in head.last.text
    await head.send("/staff")
    assert f"viber:{head.id}" in head.last.text and "пресслужба" in head.last.text
    await head.send("/grant")
    assert "Формат" in head.last.text and "viber:" in head.last.text


async def test_a_broadcast_composed_on_viber_counts_viber_and_reports_back_there(
        viber: ViberApp):
    telegram = viber.telegram
    press = viber.resident("PPPPPPPPPPPPPPPPPPPPPP==", name="Прес")
    await press.onboard()
    await viber.make_staff(press.id, Role.PRESS)
    readers = [viber.resident(f"R{i:021d}=", name=f"Мешканка {i}") for i in range(3)]
    for reader in readers:
        await reader.onboard()
        await reader.press("Обрати теми")
        await reader.press("Новини міста")
    reader_on_telegram = telegram.resident(700)
    await reader_on_telegram.onboard()
    await reader_on_telegram.send("/subscriptions")
    await reader_on_telegram.press("Новини міста")

    # One reader last wrote two days ago: outside Viber's 24-hour session, a paid message.
    async with telegram.sessionmaker() as session:
        await session.execute(update(InboundEvent).where(InboundEvent.sender == readers[0].id)
                              .values(received_at=utcnow() - timedelta(days=2)))
        await session.commit()
    await press.send("/broadcast")
    await press.send("Вода <b>завтра</b> & все")
    await press.press("Новини міста")
    await press.press("Усі райони")
    assert "Кількість: 4 (з них у Viber: 3; платних" in press.last.text
    assert "≈1)" in press.last.text
    await press.press("Надіслати зараз")
    assert "поставлено в чергу" in press.last.text
    async with telegram.sessionmaker() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None
        assert (broadcast.author_channel, broadcast.author_chat_id) == ("viber", press.id)
    await jobs.run_tick(telegram.sessionmaker, "test", telegram.jobs)
    assert await viber.deliver() == 3
    assert await telegram.deliver() == 1
    for reader in readers:
        assert reader.last.text == "📢 Вода <b>завтра</b> & все"
    await jobs.run_tick(telegram.sessionmaker, "test", telegram.jobs)
    await viber.deliver()
    assert "Розсилку завершено" in press.last.text
