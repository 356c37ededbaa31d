"""A decision linked to a petition: staff link it in the chat (the number checked, politely
asked again), and the petition's signers hear how the council voted once the decision is
published, or at once when it was published already; exactly once either way."""

from __future__ import annotations

from sqlalchemy import select

from services import petitions
from services.models import Channel, OutboxMessage, Signature
from tests.polls_support import make_resident
from tests.votes_bot_support import V2, consented, import_council, make_staff

STAFF = 3401
TITLE = "Зменшити тарифи на проїзд у громадському транспорті"
TEXT = "Просимо міську раду переглянути тарифи на проїзд і зменшити їх для всіх мешканців міста."


async def _petition(bot_app, signers: list[int]) -> tuple[int, int]:
    """A published petition (its number and id) signed by these residents."""
    rules = petitions.PetitionRules(max_pending_per_author=10)
    async with bot_app.sessionmaker() as session:
        author = await make_resident(session, 3499)
        petition = await petitions.create(session, rules, author, title=TITLE, text=TEXT)
        await petitions.approve(session, rules, "test", petition.id)
        for resident_id in signers:
            session.add(Signature(petition_id=petition.id, resident_id=resident_id,
                                  channel=Channel.TELEGRAM))
        await session.commit()
        assert petition.number is not None
        return petition.number, petition.id


async def _notes(bot_app, chat_id: int) -> list[str]:
    async with bot_app.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage.text)
                                          .where(OutboxMessage.chat_id == str(chat_id))))


async def test_link_before_publishing_and_the_signers_hear_the_result_once(bot_app):
    await make_staff(bot_app, STAFF)
    signer = await consented(bot_app, 3402)
    number, petition_id = await _petition(bot_app, [signer])
    world = await import_council(bot_app, publish=False)
    staff = bot_app.resident(STAFF)
    await staff.command("/votes")
    await staff.callback(f"vz:o:{world['events']['V2']}")
    await staff.press("Пов’язати з петицією")
    assert "Введіть номер петиції" in staff.last.text
    await staff.send("дванадцять")
    assert "Номер петиції — це число" in staff.last.text
    await staff.send("999")
    assert "Петицію не знайдено" in staff.last.text and "Введіть номер петиції" in staff.last.text
    await staff.send(f"№{number}")
    assert f"Пов’язано з петицією №{number}" in staff.last.text
    assert f"Рішення щодо петиції №{number}" in staff.last.text
    assert await _notes(bot_app, 3402) == []  # not published yet: nobody is told

    await staff.callback(f"vy:a:{world['session']}:0")
    await staff.press("Так, опублікувати")
    notes = await _notes(bot_app, 3402)
    assert len(notes) == 1
    assert f"петиції №{number}" in notes[0] and V2 in notes[0]
    assert "<b>Не прийнято</b>" in notes[0] and "За 3 · Проти 3" in notes[0]
    await bot_app.deliver()
    signer_chat = bot_app.resident(3402)
    assert [m.text for m in signer_chat.sent] == notes

    # Residents see the link on the card, as a deep link to the petition.
    await signer_chat.callback(f"vd:{world['events']['V2']}")
    card = signer_chat.last
    assert f"Рішення щодо петиції №{number}" in card.text
    assert card.button(f"Петиція №{number}")["url"].endswith(f"?start=petition_{petition_id}")


async def test_linking_a_published_decision_tells_the_signers_at_once_and_only_once(bot_app):
    await make_staff(bot_app, STAFF)
    signer = await consented(bot_app, 3403)
    number, _ = await _petition(bot_app, [signer])
    world = await import_council(bot_app)
    staff = bot_app.resident(STAFF)
    await staff.command("/votes")
    event = world["events"]["V1"]
    await staff.callback(f"vz:l:{event}")
    await staff.send(str(number))
    assert len(await _notes(bot_app, 3403)) == 1
    await staff.press("Відв’язати петицію")
    assert staff.last_callback_answers[0]["text"] == "Петицію відв’язано."
    assert "Рішення щодо петиції" not in staff.last.text
    await staff.callback(f"vz:l:{event}")
    await staff.send(str(number))
    notes = await _notes(bot_app, 3403)
    assert len(notes) == 1 and "<b>Прийнято</b>" in notes[0]
