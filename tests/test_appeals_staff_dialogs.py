"""The moderators' appeal dialogs on the wizard: step counters, back and cancel, a restart in
the middle, the appeal bound to the dialog (forged ids and buttons refused) and checked again
when the action is filed."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.appeals.actions import StaffAction
from handlers.appeals.callbacks import StaffAppealCB
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from services import appeals, roles
from services.drafts import DraftKind, Owner
from services.models import Channel, Draft, Role
from services.models.appeals import Appeal
from services.timeutil import format_date
from tests.fakes.resident import ResidentClient
from tests.test_appeals_bot import _registered
from tests.test_drafts import restartable  # noqa: F401  (the fixture)
from tests.test_forged_callbacks import _refused

MODERATOR = 931
NOT_FOUND = "Звернення не знайдено."
STALE = "Ця кнопка вже не діє"


async def _drafts(app) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Draft)) or 0


async def _stored(app, appeal_id: int) -> Appeal:
    async with app.sessionmaker() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        return appeal


async def _card(app, staff: ResidentClient, appeal: Appeal) -> None:
    await staff.send("/appeals")
    await staff.press("Усі відкриті")
    await staff.press(appeal.number)


async def test_a_staff_answer_survives_a_restart_in_the_middle(restartable):  # noqa: F811
    before = await restartable()
    author = before.resident(331)
    await author.onboard()
    appeal = await _registered(before, 331, "Прохання встановити лавку біля зупинки")
    await before.make_staff(MODERATOR, Role.MODERATOR)
    staff = before.resident(MODERATOR, "Мод")
    await _card(before, staff, appeal)
    await staff.press("Відповісти")
    assert "Крок 1 з 2" in staff.last.text and appeal.number in staff.last.text
    await staff.send("Лавку буде встановлено до кінця місяця.")
    assert "Крок 2 з 2" in staff.last.text

    after = await restartable()  # fresh memory FSM, same database: the draft holds it all
    staff = after.resident(MODERATOR, "Мод")
    await staff.document("act.pdf", "application/pdf", file_id="answer-act")
    assert "Відповідь надіслано автору" in staff.last.text
    stored = await _stored(after, appeal.id)
    assert stored.status == "answered"
    assert (stored.answer_text, stored.answer_file_id) == (
        "Лавку буде встановлено до кінця місяця.", "answer-act")
    assert await _drafts(after) == 0


async def test_back_and_cancel_in_the_staff_dialogs(bot_app):
    author = bot_app.resident(332)
    await author.onboard()
    appeal = await _registered(bot_app, 332, "Яма на вулиці Миру біля будинку 3")
    await bot_app.make_staff(MODERATOR, Role.MODERATOR)
    staff = bot_app.resident(MODERATOR, "Мод")
    await _card(bot_app, staff, appeal)

    await staff.press("Продовжити строк")
    first = staff.last.text
    assert "Крок 1 з 2" in first and "Назад" not in str(staff.last.buttons)  # nowhere back
    latest = format_date(appeals.latest_deadline(appeal, appeals.AppealRules()))
    await staff.press(latest)
    assert "Крок 2 з 2" in staff.last.text and "Тепер напишіть причину" in staff.last.text
    await staff.press("Назад")
    assert staff.last.text == first  # the date question again, its button too
    await staff.press(latest)
    await staff.press("Скасувати")  # back to the card, nothing changed
    assert appeal.number in staff.last.text and "Продовжити строк" in str(staff.last.buttons)
    assert await _drafts(bot_app) == 0
    replies = await staff.send("Потрібне обстеження дорожнього покриття")
    assert not any("продовжено" in r.text for r in replies)  # not taken as the reason
    assert not (await _stored(bot_app, appeal.id)).extended
    # The "latest date" button of a prompt shown before the wizard: the dialog, date taken.
    await staff.callback(StaffAppealCB(action=StaffAction.EXTEND_MAX, appeal_id=appeal.id).pack())
    assert "Крок 2 з 2" in staff.last.text and latest in staff.last.text
    await staff.press("Скасувати")
    assert not (await _stored(bot_app, appeal.id)).extended and await _drafts(bot_app) == 0

    await staff.press("Відповісти")
    await staff.send("Яму засиплять щебенем до п'ятниці.")
    await staff.press("Назад")
    assert "Крок 1 з 2" in staff.last.text and "Напишіть текст відповіді" in staff.last.text
    await staff.send("Яму засиплять щебенем і заасфальтують до п'ятниці.")
    await staff.press("Надіслати без файлу")
    assert "Відповідь надіслано автору" in staff.last.text
    stored = await _stored(bot_app, appeal.id)
    assert stored.answer_text == "Яму засиплять щебенем і заасфальтують до п'ятниці."

    other = await _registered(bot_app, 332, "Сміття з двору не вивозять тиждень")
    await _card(bot_app, staff, other)
    await staff.press("Об'єднати")  # one step: no "step 1 of 1"
    assert "Крок" not in staff.last.text and "Назад" not in str(staff.last.buttons)
    await staff.press("Скасувати")
    assert other.number in staff.last.text and "Об'єднати" in str(staff.last.buttons)
    # A button of the cancelled dialog no longer does anything.
    await _refused(staff, WizardCB(wizard="appeal_merge", action=WizardAction.CANCEL).pack(),
                   STALE)


async def test_a_forged_appeal_id_or_button_in_a_staff_dialog_is_refused(bot_app):
    author = bot_app.resident(333)
    await author.onboard()
    appeal = await _registered(bot_app, 333, "Не горить ліхтар біля школи")
    closed = await _registered(bot_app, 333, "Розбите вікно у під'їзді")
    async with bot_app.sessionmaker() as session:
        await appeals.answer(session, appeals.AppealRules(), "telegram:1", closed.id,
                             "Вікно замінено майстрами ЖЕКу.")
        await session.commit()
    await bot_app.make_staff(MODERATOR, Role.MODERATOR)
    staff = bot_app.resident(MODERATOR, "Мод")
    await _card(bot_app, staff, appeal)
    await staff.press("Продовжити строк")

    # Another appeal's id, one that does not exist, one the action does not suit; buttons
    # of other steps, of another dialog, an option the step never offered.
    for forged, expected in (
        (StaffAppealCB(action=StaffAction.ANSWER, appeal_id=10**9), NOT_FOUND),
        (StaffAppealCB(action=StaffAction.EXTEND_MAX, appeal_id=10**9), NOT_FOUND),
        (StaffAppealCB(action=StaffAction.MERGE, appeal_id=closed.id), closed.number),
        (WizardCB(wizard="appeal_extend", action=WizardAction.SUGGEST, step="extend_date",
                  option=1), STALE),
        (WizardCB(wizard="appeal_extend", action=WizardAction.BACK, step="extend_reason"),
         STALE),
        (WizardCB(wizard="appeal_answer", action=WizardAction.SKIP, step="answer_file"),
         STALE),
    ):
        await _refused(staff, forged.pack(), expected)

    # The dialog is still about the appeal its card opened: no button carries another id.
    latest = format_date(appeals.latest_deadline(appeal, appeals.AppealRules()))
    await staff.press(latest)
    await staff.send("Потрібне обстеження опор освітлення")
    assert f"Строк продовжено до {latest}" in staff.last.text
    assert (await _stored(bot_app, appeal.id)).extended
    assert not (await _stored(bot_app, closed.id)).extended


async def test_the_appeal_and_the_role_are_checked_again_when_filed(bot_app):
    author = bot_app.resident(334)
    await author.onboard()
    appeal = await _registered(bot_app, 334, "Прохання встановити лавку біля зупинки")
    duplicate = await _registered(bot_app, 334, "Встановіть лавку біля зупинки, будь ласка")
    await bot_app.make_staff(MODERATOR, Role.MODERATOR)
    staff = bot_app.resident(MODERATOR, "Мод")
    await _card(bot_app, staff, appeal)
    await staff.press("Відповісти")
    await staff.send("Лавку буде встановлено до кінця місяця.")
    # Another moderator answers it meanwhile: this answer is refused, the first one stays.
    async with bot_app.sessionmaker() as session:
        await appeals.answer(session, appeals.AppealRules(), "telegram:1", appeal.id,
                             "Лавку вже встановлено.")
        await session.commit()
    await staff.press("Надіслати без файлу")
    assert staff.last_callback_answers and appeal.number in staff.last_callback_answers[-1]["text"]
    assert (await _stored(bot_app, appeal.id)).answer_text == "Лавку вже встановлено."

    # The role taken away in the middle of a dialog: its last answer files nothing.
    await _card(bot_app, staff, duplicate)
    await staff.press("Об'єднати")
    async with bot_app.sessionmaker() as session:
        await roles.revoke(session, "test", Channel.TELEGRAM, str(MODERATOR), Role.MODERATOR)
        await session.commit()
    await staff.send(appeal.number)
    assert (await _stored(bot_app, duplicate.id)).merged_into_id is None
    assert not any("Об'єднано" in t for t in staff.texts())


def test_a_staff_appeal_draft_belongs_to_the_staff_account():
    assert Owner.for_kind(DraftKind.STAFF_APPEAL, 5, "telegram:931") == Owner.staff(
        "telegram:931")
    assert len(DraftKind.STAFF_APPEAL.value) <= 16  # drafts.kind is a String(16)
