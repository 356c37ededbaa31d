"""A second account sharing a phone that a profile holds: asked first, told, and undoable."""

from __future__ import annotations

from sqlalchemy import func, select

from services import petitions, residents
from services.models import Channel, ChannelIdentity, Petition, Resident

PHONE = "+380671234567"


async def _count(bot_app, model) -> int:
    async with bot_app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _up_to_phone(client) -> None:
    await client.send("/start")
    await client.press("Українська")
    await client.press("Погоджуюся")
    await client.contact(PHONE)


async def test_joining_a_profile_asks_first_tells_its_accounts_and_can_be_undone(bot_app):
    owner = bot_app.resident(201)
    await owner.onboard(phone=PHONE, name="Коваленко Олена Петрівна", street="вул. Шевченка")
    await owner.press("Підписатися на популярні")
    newcomer = bot_app.resident(202)
    await _up_to_phone(newcomer)

    question = newcomer.last.text
    assert "+38067•••••67" in question and "К••• О••• П•••" in question
    assert newcomer.last.button("Так, це мій профіль") and newcomer.last.button("Ні")
    # Nothing of the profile is shown or joined before the answer.
    assert not any("Коваленко" in t or "Олена" in t or "Шевченка" in t
                   for t in newcomer.texts())
    assert await _count(bot_app, Resident) == 2
    async with bot_app.sessionmaker() as session:
        assert (await residents.by_identity(session, "telegram", "202")).full_name is None

    await newcomer.press("Так, це мій профіль")
    assert "Вітаємо, Олена!" in newcomer.last.text
    assert (await _count(bot_app, Resident), await _count(bot_app, ChannelIdentity)) == (1, 2)
    await bot_app.deliver()
    notice = owner.last
    assert "новий акаунт Telegram" in notice.text and "+38067•••••67" in notice.text

    await owner.press("відвʼязати", notice)
    assert "відвʼязано" in owner.last.text
    assert await _count(bot_app, ChannelIdentity) == 1
    await bot_app.deliver()
    assert "відвʼязав цей акаунт" in newcomer.last.text
    # The unlinked account has no profile any more: it starts afresh.
    await newcomer.send("/settings")
    assert "Спершу потрібно створити профіль" in newcomer.texts()[-2]
    await newcomer.send("/start")
    assert "Крок 1 з 6" in newcomer.last.text
    async with bot_app.sessionmaker() as session:
        assert await residents.by_identity(session, "telegram", "202") is None
        kept = await residents.by_identity(session, "telegram", "201")
        assert kept.full_name == "Коваленко Олена Петрівна" and kept.phone == PHONE

    # The same button again (or a forged one for the owner's own account) does nothing.
    await owner.press("відвʼязати", notice)
    assert "уже не привʼязаний" in owner.last.text
    assert await _count(bot_app, ChannelIdentity) == 1


async def test_a_recycled_number_gets_its_own_profile_and_still_signs_once(bot_app):
    owner = bot_app.resident(211)
    await owner.onboard(phone=PHONE, name="Коваленко Олена Петрівна")
    rules = petitions.PetitionRules(max_pending_per_author=10)
    async with bot_app.sessionmaker() as session:
        author = await residents.by_identity(session, "telegram", "211")
        petition = await petitions.create(
            session, rules, author, title="Відремонтувати дорогу на вулиці Миру",
            text="Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру.")
        await petitions.approve(session, rules, "test", petition.id)
        await petitions.sign(session, rules, petition.id, author, channel=Channel.TELEGRAM)
        await session.commit()
        pid = petition.id

    stranger = bot_app.resident(212)
    await _up_to_phone(stranger)
    await stranger.sticker()
    assert "кнопкою під питанням" in stranger.texts()[-2]
    assert stranger.last.button("Так, це мій профіль")  # the same question again
    await stranger.press("Ні, створити власний")
    assert "Крок 4 з 6" in stranger.last.text
    await stranger.send("Петренко Іван")
    await stranger.send("вул. Миру")
    await stranger.send("3")
    async with bot_app.sessionmaker() as session:
        old = await residents.by_identity(session, "telegram", "211")
        new = await residents.by_identity(session, "telegram", "212")
        assert (old.full_name, old.phone, old.is_verified) == ("Коваленко Олена Петрівна",
                                                               None, False)
        assert (new.full_name, new.phone) == ("Петренко Іван", PHONE)
    await bot_app.deliver()
    assert any("щойно підтвердив інший акаунт Telegram" in t for t in owner.texts())
    assert not any("Петренко" in t for t in owner.texts())

    # One phone number, one signature: the number already signed this petition.
    await stranger.send(f"/start petition_{pid}")
    await stranger.press("Підписати")
    assert "вже підписали" in stranger.last_callback_answers[-1]["text"]
    async with bot_app.sessionmaker() as session:
        assert (await session.get(Petition, pid)).signature_count == 1


async def test_a_newly_linked_account_cannot_unlink_the_earlier_ones(bot_app):
    owner = bot_app.resident(211)
    await owner.onboard(phone=PHONE, name="Коваленко Олена Петрівна", street="вул. Шевченка")
    newcomer = bot_app.resident(212)
    await _up_to_phone(newcomer)
    await newcomer.press("Так, це мій профіль")
    await bot_app.deliver()
    unlink_data = owner.last.button("відвʼязати")["callback_data"]
    async with bot_app.sessionmaker() as session:
        owner_identity = await session.scalar(
            select(ChannelIdentity.id).where(ChannelIdentity.external_id == "211"))
    # The newcomer forges the owner's button with the owner's own account id.
    forged = unlink_data.rsplit(":", 1)[0] + f":{owner_identity}"
    await newcomer.callback(forged)
    assert "уже не привʼязаний" in newcomer.last.text
    assert await _count(bot_app, ChannelIdentity) == 2
