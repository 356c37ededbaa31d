"""The Viber webhook: signed callbacks only, each stored once and handled once, in order per
person, also across processes and restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from bot.channels.viber.client import signature, signature_ok
from bot.channels.viber.processor import Processor
from services.db import utcnow
from services.models import InboundEvent
from tests.fakes.resident import wait_for
from tests.fakes.viber_api import compact

if TYPE_CHECKING:
    from tests.viber_support import ViberApp, ViberFactory

pytest_plugins = ("tests.viber_support",)


async def _stored(viber: ViberApp) -> list[InboundEvent]:
    async with viber.telegram.sessionmaker() as session:
        return list(await session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def test_signature_matches_both_published_vectors():
    # VIBER.md §2: the SDK's own vector and the one of a production channel (courier).
    sdk = signature("44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3",
                    b'{"event":"webhook","timestamp":4977069964384421269,'
                    b'"message_token":1478683725125}')
    assert sdk.startswith("d21b3434") and sdk.endswith("a510ef")
    courier = signature("44b935abea139fd6-53fa53b32559c4a6-12dbd3d883b06835",
                        b'{"event":"unsubscribed","timestamp":1516678387902,'
                        b'"user_id":"KMMqtlNTDxIm/5bZhdQ5uA==",'
                        b'"message_token":5136431130449316903}')
    assert courier.startswith("d84d8648") and courier.endswith("31a9f9")
    assert signature_ok("t", b"{}", signature("t", b"{}").upper())
    assert not signature_ok("t", b"{} ", signature("t", b"{}"))
    assert not signature_ok("t", b"{}", None) and not signature_ok("t", b"{}", "")


async def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(viber: ViberApp):
    olena = viber.resident()
    event = {"event": "message", "timestamp": 1, "message_token": 77,
             "sender": olena.user.as_json(), "message": {"type": "text", "text": "/start"}}
    forged = signature("not-the-token", compact(event))
    for sig in (None, "", forged, "zz" * 32):
        status, _ = await viber.fake.post(event, signature=sig)
        assert status == 403
    # The signature is over the exact bytes: the same event re-serialised does not pass.
    status, _ = await viber.fake.post({**event, "timestamp": 2},
                                      signature=signature(viber.fake.token, compact(event)))
    assert status == 403
    assert await _stored(viber) == []
    assert await viber.drain() == 0 and olena.sent == []
    assert viber.channel.webhook.counts["refused"] == 5


async def test_set_webhook_is_validated_and_unhandled_events_are_answered_not_stored(
        viber: ViberApp):
    # register_webhook ran: the fake's signed `webhook` check got 200.
    assert viber.fake.webhook_url == viber.webhook_url
    assert viber.fake.webhook is not None
    assert "conversation_started" in viber.fake.webhook["event_types"]
    olena = viber.resident()
    for event in ({"event": "delivered", "timestamp": 1, "message_token": 5,
                   "user_id": olena.id},
                  {"event": "seen", "timestamp": 1, "message_token": 6, "user_id": olena.id},
                  {"event": "client_status", "timestamp": 1, "message_token": 7},
                  {"event": "something_new", "message_token": 8}):
        assert (await viber.fake.post(event))[0] == 200
    status, _ = await viber.fake.post({"not": "an event"})
    assert status == 200
    assert await _stored(viber) == []


async def test_a_signed_body_that_is_no_event_is_ignored_without_a_traceback(
        viber: ViberApp, caplog):
    deep = b'{"event":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for body in (deep, b"not json", b"[1, 2]", b'{"event": 5}'):
        status, _ = await viber.fake.post({}, raw=body)
        assert status == 200
    assert await _stored(viber) == []
    assert viber.channel.webhook.counts["unreadable"] == 4
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


async def test_the_same_message_token_twice_is_handled_once(viber: ViberApp):
    olena = viber.resident()
    olena.user.subscribed = True
    event = {"event": "message", "timestamp": 1, "message_token": 4987381189870374123,
             "sender": olena.user.as_json(), "message": {"type": "text", "text": "/start"}}
    assert (await viber.fake.post(event))[0] == 200
    assert (await viber.fake.post(event))[0] == 200  # Viber's retry of a slow answer
    assert await viber.drain() == 1
    assert (await viber.fake.post(event))[0] == 200  # and a late one, after handling
    assert await viber.drain() == 0
    assert len(olena.sent) == 1 and "Крок 1 з 6" in olena.last.text
    rows = await _stored(viber)
    assert len(rows) == 1 and rows[0].dedupe_key == "4987381189870374123"
    assert rows[0].status == "done" and rows[0].body == ""  # the message is not kept
    assert viber.channel.webhook.counts["duplicate"] == 2


async def test_stored_callbacks_are_handled_after_a_restart(viber_factory: ViberFactory):
    first = await viber_factory(worker="first")
    olena = first.resident()
    olena.settle = None  # this process dies before handling anything
    olena.user.subscribed = True
    await olena.send("/start")
    await olena.send("/help")
    petro = first.resident("PPPPPPPPPPPPPPPPPPPPPP==")
    petro.settle = None
    petro.user.subscribed = True
    await petro.send("/start")
    assert len(await _stored(first)) == 3 and first.fake.sent == []
    # The dead process had claimed Petro's row: its lease runs out (here: has run out).
    async with first.telegram.sessionmaker() as session:
        await session.execute(update(InboundEvent).where(InboundEvent.sender == petro.id)
                              .values(claimed_by="viber:first", attempts=1,
                                      claimed_until=utcnow() - timedelta(seconds=1)))
        await session.commit()
    await first.channel.close()

    second = await viber_factory(first.telegram, worker="second", register=False)
    second.channel.start(second.stop)  # the real loop, as `python -m bot web` runs it
    await wait_for(lambda: second.channel.processor.handled == 3)
    assert len(olena.sent) == 2 and len(petro.sent) == 1
    assert "Крок 1 з 6" in olena.sent[0].text and "Крок 1 з 6" in petro.sent[0].text
    assert olena.sent[1].text != olena.sent[0].text  # /help answered after /start
    rows = await _stored(second)
    assert {r.status for r in rows} == {"done"}
    assert {r.claimed_by for r in rows} == {"viber:second"}


async def test_two_processes_handle_each_callback_once_and_in_order(viber: ViberApp):
    olena = viber.resident()
    olena.settle = None
    olena.user.subscribed = True
    for text in ("/start", "/help", "/menu", "/help"):
        await olena.send(text)
    other = Processor(viber.telegram.sessionmaker, viber.channel.inbound.handle,
                      channel="viber", worker="viber:other")
    handled = await asyncio.gather(viber.drain(), other.drain())
    assert sum(handled) == 4
    assert len(olena.sent) == 4
    assert "Крок 1 з 6" in olena.sent[0].text and olena.sent[1].text == olena.sent[3].text
    async with viber.telegram.sessionmaker() as session:
        done = await session.scalar(select(func.count()).select_from(InboundEvent)
                                    .where(InboundEvent.status == "done"))
    assert done == 4


async def test_a_failing_callback_is_retried_then_given_up(viber: ViberApp):
    olena = viber.resident()
    olena.settle = None
    olena.user.subscribed = True
    calls: list[int] = []

    async def broken(row):  # type: ignore[no-untyped-def]
        calls.append(row.id)
        raise RuntimeError("database went away")

    processor = Processor(viber.telegram.sessionmaker, broken, channel="viber",
                          worker="viber:broken", max_attempts=2, retry_base=0.0)
    await olena.send("/start")
    await processor.drain()  # the retry is due at once here (retry_base 0)
    rows = await _stored(viber)
    assert rows[0].status == "failed" and "database went away" in (rows[0].error or "")
    assert rows[0].body == "" and len(calls) == 2
