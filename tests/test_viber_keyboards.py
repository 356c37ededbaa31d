"""The outbox transport that bot/channels/registry.py builds for Viber (a process that delivers
without serving the webhook) against the same database and media store as the webhook's:
it puts on the keyboard the person was last shown by any process, what it shows is what the
others put on next, /forget erases the stored keyboard, and it sends stored media (a poll's
chart, a Telegram file) as the live channel does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import select

from bot.channels.registry import CHANNELS
from bot.outbox.worker import Sender
from services import keyboards, outbox
from services.db import utcnow
from services.models import ChannelKeyboard, Resident
from services.polls import manage
from services.polls import media as poll_media
from services.polls.results import tally
from services.profile.erasure import forget
from tests.polls_support import MODERATOR, bot_poll

if TYPE_CHECKING:
    from bot.channels.base import Transport
    from tests.fakes.viber_api import ViberClientSim
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)


async def _onboarded(viber: ViberApp) -> tuple[ViberClientSim, int]:
    sim = viber.resident()
    await sim.onboard()
    await sim.press("Не зараз")
    resident = await viber.resident_of(sim.id)
    assert resident is not None
    return sim, resident.id


def _other_process(viber: ViberApp) -> Transport:
    """The transport a delivering process builds from the settings (its own memory)."""
    transport = CHANNELS["viber"](viber.settings, viber.telegram.sessionmaker)
    assert transport is not None
    return transport


async def _deliver_by(viber: ViberApp, transport: Transport) -> int:
    return await Sender(transport, viber.telegram.sessionmaker,
                        worker_id=f"process-{id(transport)}").drain()


async def _notify(viber: ViberApp, resident_id: int, text: str, **kwargs: Any) -> None:
    async with viber.telegram.sessionmaker() as session:
        await outbox.notify_residents(session, [resident_id], lambda tr: text, urgent=True,
                                      **kwargs)
        await session.commit()


async def test_every_process_puts_on_the_keyboard_the_person_was_last_shown(viber: ViberApp):
    olena, resident_id = await _onboarded(viber)
    await olena.send("/settings")
    settings_board = olena.last.keyboard
    assert settings_board and olena.button("Мова")

    first, second = _other_process(viber), _other_process(viber)
    try:
        await _notify(viber, resident_id, "Петицію №1 розглянуто")
        assert await _deliver_by(viber, first) == 1
        assert olena.last.text == "Петицію №1 розглянуто"
        assert olena.last.keyboard == settings_board  # not a message that takes it away

        # A notification with its own buttons, from that process: now those are shown ...
        await _notify(viber, resident_id, "Петицію №2 розглянуто",
                      buttons=lambda tr: [[{"text": "Відкрити петицію", "callback": "pt:o:2"}]])
        assert await _deliver_by(viber, first) == 1
        shown = olena.last.keyboard
        assert [b["Text"] for b in olena.shown_keyboard()] == ["Відкрити петицію"]
        # ... so the webhook's process, and a third one, put those on next.
        await _notify(viber, resident_id, "Петицію №3 розглянуто")
        assert await viber.deliver() == 1
        assert olena.last.keyboard == shown
        await _notify(viber, resident_id, "Петицію №4 розглянуто")
        assert await _deliver_by(viber, second) == 1
        assert olena.last.keyboard == shown

        # The person moves on in the webhook's process; the others follow again.
        await olena.send("/settings")
        await _notify(viber, resident_id, "Петицію №5 розглянуто")
        assert await _deliver_by(viber, second) == 1
        assert olena.last.keyboard == settings_board
    finally:
        await first.close()
        await second.close()


async def test_forget_erases_the_keyboard_kept_for_the_person(viber: ViberApp):
    olena, resident_id = await _onboarded(viber)
    await olena.send("/settings")
    async with viber.telegram.sessionmaker() as session:
        stored = await keyboards.boards_of(session, "viber", [olena.id])
        assert stored[olena.id] == olena.last.keyboard
        # The services' /forget (whichever messenger it is asked on) erases it.
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        await forget(session, resident, phone_secret=None)
        await session.commit()
        assert await session.scalar(select(ChannelKeyboard.external_id)) is None

    other = viber.resident("OOOOOOOOOOOOOOOOOOOOOO==")
    await other.onboard()
    await other.press("Не зараз")
    await other.send("/settings")
    await other.press("Видалити мої дані")
    await other.press("Так, видалити")
    async with viber.telegram.sessionmaker() as session:
        assert (await keyboards.boards_of(session, "viber", [other.id]))[other.id] is None


async def test_the_other_process_sends_a_poll_chart_and_a_telegram_file(viber: ViberApp):
    olena, resident_id = await _onboarded(viber)
    poll_id = await bot_poll(viber.telegram)
    async with viber.telegram.sessionmaker() as session:
        await manage.close_early(session, MODERATOR, poll_id)
        poll = await manage.get_poll(session, poll_id)
        chart = await poll_media.ensure_chart(session, await tally(session, poll, now=utcnow()))
        await session.commit()
    viber.telegram.fake.files["answer-act"] = b"%PDF-1.4 the council's answer"
    await _notify(viber, resident_id, "Результати опитування", photo=chart)
    await _notify(viber, resident_id, "Відповідь на ваше звернення", document="answer-act")

    transport = _other_process(viber)
    try:
        assert await _deliver_by(viber, transport) == 2
    finally:
        await transport.close()
    picture = next(s for s in olena.sent if s.type == "picture")
    assert picture.text == "Результати опитування" and picture.body["media"].endswith(".png")
    file = next(s for s in olena.sent if s.type == "file")
    assert file.body["size"] == len(b"%PDF-1.4 the council's answer")
    async with aiohttp.ClientSession() as http:
        for url in (picture.body["media"], file.body["media"]):
            async with http.get(url) as response:  # served by the webhook's process
                assert response.status == 200
        async with http.get(file.body["media"]) as response:
            assert await response.read() == b"%PDF-1.4 the council's answer"


async def test_people_shown_the_same_keyboard_share_one_board_a_phone_button_is_each_own(
        viber: ViberApp):
    olena, petro = viber.resident(), viber.resident("PPPPPPPPPPPPPPPPPPPPPP==")
    for sim in (olena, petro):
        sim.user.subscribed = True
        await sim.send("/help")
    remembered = viber.channel.outgoing.keyboards
    assert olena.last.keyboard == petro.last.keyboard
    assert await remembered.get(olena.id) is await remembered.get(petro.id)
    # The share-phone button carries each person's own proof: no board is shared then.
    asks_phone = [[{"text": "Phone", "phone": "1"}]]
    boards = [(await viber.channel.outgoing.board(sim.id, asks_phone, False))[0]
              for sim in (olena, petro)]
    assert boards[0] is not None and boards[1] is not None
    assert boards[0]["Buttons"][0]["ActionBody"] != boards[1]["Buttons"][0]["ActionBody"]
    assert (await viber.channel.outgoing.board(olena.id, asks_phone, False))[0] is boards[0]
