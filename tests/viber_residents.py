"""Residents the Viber tests share: one person on both Telegram and Viber."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from services.models import ChannelIdentity, Resident

if TYPE_CHECKING:
    from tests.fakes.resident import ResidentClient
    from tests.fakes.viber_api import ViberClientSim
    from tests.viber_support import ViberApp

PHONE = "+380671234567"


async def onboarded(viber: ViberApp, viber_id: str = "jc9HsWTZ2Yf2NkRZ8KcNug==",
                     name: str = "Коваленко Олена Петрівна") -> ViberClientSim:
    """A Viber resident through onboarding, the topics offer declined."""
    sim = viber.resident(viber_id)
    await sim.onboard(name=name)
    await sim.press("Не зараз")  # the topics offer at the end of onboarding
    return sim


async def one_resident_on_both(viber: ViberApp, phone: str = PHONE
                               ) -> tuple[ResidentClient, ViberClientSim, int]:
    """A resident onboarded on Telegram (user 201) who then shares the same phone on Viber and
    joins that profile; (Telegram client, Viber client, resident id)."""
    telegram = viber.telegram
    on_telegram = telegram.resident(201)
    await on_telegram.onboard(phone=phone, name="Коваленко Олена Петрівна")
    on_viber = viber.resident()
    await on_viber.open_chat()
    for label in ("Почати", "Українська", "Погоджуюся"):
        await on_viber.press(label)
    await on_viber.share_phone(phone)
    assert "+38067•••••67" in on_viber.last.text
    await on_viber.press("Так, це мій профіль")
    assert any("Профіль збережено" in t for t in on_viber.texts()[-2:])
    await on_viber.press("Не зараз")
    async with telegram.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1
        channels = sorted((await session.scalars(select(ChannelIdentity.channel))).all())
        resident_id = await session.scalar(select(Resident.id))
    assert channels == ["telegram", "viber"] and resident_id is not None
    await telegram.deliver()  # the owner's notice that an account joined the profile
    return on_telegram, on_viber, resident_id
