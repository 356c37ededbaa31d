"""The shared CSV writer: nothing a resident typed becomes a formula in the council's Excel."""

from __future__ import annotations

import csv
import io

from services.exports import csv_text, spreadsheet_safe
from services.timeutil import local_today


def test_cells_that_start_a_formula_are_neutralised():
    for dangerous in ('=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
                      "\t=1", "\r=1"):
        assert spreadsheet_safe(dangerous) == "'" + dangerous
    for harmless in ("вул. Соборна, 3", "З-2026-000001", "2026-11-23", "", "a=b", " =1"):
        assert spreadsheet_safe(harmless) == harmless
    assert spreadsheet_safe(-5) == -5 and spreadsheet_safe(7) == 7  # numbers stay numbers


def test_csv_text_applies_it_to_the_header_and_every_row():
    text = csv_text(["=name", "n"], [["=HYPERLINK(1)", 3], ["ok", "-x"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=name", "n"], ["'=HYPERLINK(1)", "3"], ["ok", "'-x"]]


# ---- every export, through the real dispatcher -----------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example","Шевченка")'


def _csv_of(document) -> list[list[str]]:
    assert document.method == "sendDocument"
    files = [v for v in document.params.values() if isinstance(v, dict) and "content" in v]
    assert files, "no file was sent"
    return list(csv.reader(io.StringIO(files[0]["content"].decode("utf-8-sig"))))


async def test_petition_signatures_export_neutralises_formulas(bot_app):
    from services.models import Role
    from tests.test_petitions_bot import onboarded, publish

    await onboarded(bot_app, 11)
    pid = await publish(bot_app, 11)
    signer = bot_app.resident(12)
    await signer.onboard(name="Петренко Іван", street=FORMULA, building="12")
    await signer.send(f"/start petition_{pid}")
    await signer.press("Підписати")
    await bot_app.make_staff(900, Role.MODERATOR)
    mod = bot_app.resident(900, "Модератор")
    rows = _csv_of((await mod.send(f"/petition_export {pid}"))[-1])
    assert rows[1] == ["Петренко Іван", "'" + FORMULA + ", 12", rows[1][2]]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_appeals_register_export_neutralises_formulas(bot_app_factory):
    from datetime import timedelta

    from services import appeals
    from services.models import Resident, Role
    from services.timeutil import format_date

    bot_app = await bot_app_factory(appeal_departments=["-roads", "general"])
    author = bot_app.resident(324)
    await author.onboard()
    rules = appeals.AppealRules(departments=("-roads", "general"))
    async with bot_app.sessionmaker() as session:
        from sqlalchemy import select

        resident = await session.scalar(select(Resident))
        appeal = await appeals.register(session, rules, resident, kind="complaint",
                                        category="roads", text="Яма на дорозі біля школи")
        await appeals.assign(session, rules, "telegram:924", appeal.id, department="-roads")
        await session.commit()
    await bot_app.make_staff(924, Role.MODERATOR)
    staff = bot_app.resident(924, first_name="Мод")
    today = local_today()
    replies = await staff.send(f"/appeals_export {format_date(today - timedelta(days=1))} "
                               f"{format_date(today)}")
    rows = _csv_of(replies[-1])
    assert rows[0][7] == "department" and rows[1][7] == "'-roads"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
