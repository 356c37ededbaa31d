"""One resident on Telegram and Viber: one profile, one signature, and notifications on the
messenger the resident used last, or on both if they choose."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services import outbox, petitions
from services.models import Petition, Resident
from tests.viber_residents import one_resident_on_both

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)

TITLE = "Відремонтувати дорогу на вулиці Миру"
TEXT = "Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру до кінця року."


async def _notify(viber: ViberApp, resident_id: int, text: str) -> tuple[int, int]:
    """A notification for the resident; (messages Telegram got, messages Viber got)."""
    async with viber.telegram.sessionmaker() as session:
        await outbox.notify_residents(session, [resident_id], lambda tr: text, urgent=True)
        await session.commit()
    return await viber.telegram.deliver(), await viber.deliver()


async def test_signed_on_telegram_viber_says_already_signed(viber: ViberApp):
    on_telegram, on_viber, resident_id = await one_resident_on_both(viber)
    rules = petitions.PetitionRules(max_pending_per_author=10)
    async with viber.telegram.sessionmaker() as session:
        author = await session.get(Resident, resident_id)
        assert author is not None
        petition = await petitions.create(session, rules, author, title=TITLE, text=TEXT)
        await petitions.approve(session, rules, "test", petition.id)
        await session.commit()
        pid = petition.id
    await on_telegram.send(f"/start petition_{pid}")
    sign = on_telegram.last.button("Підписати")
    await on_telegram.press("Підписати")
    assert "Ваш підпис враховано" in on_telegram.last_callback_answers[-1]["text"]

    await on_viber.send(f"/start petition_{pid}")
    assert "Ви підписали цю петицію" in on_viber.last.text
    assert "1 підпис із 250" in on_viber.last.text
    assert not any("Підписати" in label for label in on_viber.labels())
    # A stale "sign" button (an older keyboard) cannot sign twice either.
    await on_viber.message({"type": "text", "text": "cb:" + sign["callback_data"]},
                           silent=True)
    assert any("вже підписали" in t for t in on_viber.texts()[-2:]), on_viber.texts()[-2:]
    async with viber.telegram.sessionmaker() as session:
        row = await session.get(Petition, pid)
        assert row is not None and row.signature_count == 1


async def test_notifications_follow_the_last_messenger_or_go_to_both(viber: ViberApp):
    on_telegram, on_viber, resident_id = await one_resident_on_both(viber)
    assert await _notify(viber, resident_id, "Петицію №1 розглянуто") == (0, 1)  # Viber last
    await on_telegram.send("/menu")
    assert await _notify(viber, resident_id, "Петицію №2 розглянуто") == (1, 0)
    assert on_telegram.last.text == "Петицію №2 розглянуто"

    await on_viber.send("/settings")
    await on_viber.press("Сповіщення: лише в останній месенджер")
    assert on_viber.button("Сповіщення: в усі месенджери")
    assert await _notify(viber, resident_id, "Петицію №3 розглянуто") == (1, 1)
    assert on_viber.last.text == "Петицію №3 розглянуто"
    await on_viber.press("Сповіщення: в усі месенджери")
    assert await _notify(viber, resident_id, "Петицію №4 розглянуто") == (0, 1)

    # Unsubscribed on Viber, the messenger used last: Telegram still gets it.
    await on_viber.unsubscribe()
    assert await _notify(viber, resident_id, "Петицію №5 розглянуто") == (1, 0)
