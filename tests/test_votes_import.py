"""Importing the published formats: the real samples and our own, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from services.votes.archive import UploadedFile
from services.votes.models import (
    AgendaItem,
    Convocation,
    DecisionResult,
    Deputy,
    Faction,
    VoteCast,
    VoteEvent,
    VoteSession,
)
from services.votes.report import FileStatus
from tests.votes_support import (
    KYIV,
    OWN,
    SHELL,
    council_files,
    counts,
    issue_keys,
    real,
    run_import,
    upload,
    zip_of,
)

RAW = ["210831_112.json", "230831_14.json", "231005_103.json", "231109_99.json"]


def kyiv_raw() -> list[UploadedFile]:
    return [upload(real(f"evoting-json/kyiv-rada4/raw/{n}")) for n in RAW]


async def _event(session, key_part: str) -> VoteEvent:
    return (await session.scalars(select(VoteEvent).where(
        VoteEvent.source_key.contains(key_part)))).one()


async def test_real_kyiv_files_keep_the_published_result_counts_and_raw_values(session):
    report = await run_import(session, kyiv_raw(), add_unknown_deputies=True)
    assert [f.status for f in report.files] == [FileStatus.IMPORTED] * 4
    assert report.files[0].kind == "evoting-vote"
    # 210831_112: not adopted, 36/6/6/50, 121 seats, TotalCnt 98 -> 23 absent.
    event = await _event(session, "2021-08-31T16:52:37")
    assert event.result == DecisionResult.NOT_ADOPTED
    assert event.result_raw == "РІШЕННЯ НЕ ПРИЙНЯТЕ"
    assert (event.for_count, event.against_count, event.abstain_count, event.not_voting_count,
            event.absent_count) == (36, 6, 6, 50, 23)
    assert event.counts_published and not event.needs_review and event.roll_size == 121
    assert event.held_on == date(2021, 8, 31)
    raw = Counter((await session.execute(select(VoteCast.raw_value, VoteCast.value)
                                         .where(VoteCast.event_id == event.id))).all())
    assert raw[("За       ", "for")] == 36 and raw[(".........", "absent")] == 23
    assert raw[("Проти    ", "against")] == 6 and raw[("Не голосував", "not_voting")] == 50
    # 231005_103 passed with 72 "for" although placeholder rows ". .. .." voted: they are
    # kept as seats without a deputy, in the counts, and the counts still agree.
    event = await _event(session, "2023-10-05T14:49:26")
    assert event.result == DecisionResult.ADOPTED and not event.needs_review
    assert event.item_title and event.item_title.startswith("Про ліквідацію")
    seats = (await session.execute(select(VoteCast.value).where(
        VoteCast.event_id == event.id, VoteCast.deputy_id.is_(None)))).scalars().all()
    assert seats and any(v != "absent" for v in seats)
    # Each plenary day is its own session, whatever SName says.
    assert await session.scalar(select(func.count()).select_from(VoteSession)) == 4


async def test_real_kyiv_name_spellings_make_one_deputy_each(session):
    await run_import(session, kyiv_raw(), add_unknown_deputies=True)
    keys = (await session.scalars(select(Deputy.name_key))).all()
    assert len(keys) == len(set(keys))
    # "Андронов В.Є." (2021) and "Андронов В. Є." (2023) are one person.
    andronov = (await session.scalars(select(Deputy).where(
        Deputy.name_key == "андронов в є"))).one()
    votes = await session.scalar(select(func.count()).select_from(VoteCast).where(
        VoteCast.deputy_id == andronov.id))
    assert votes == 4
    raw_names = set((await session.scalars(select(VoteCast.raw_name).where(
        VoteCast.deputy_id == andronov.id))).all())
    assert raw_names == {"Андронов В.Є.", "Андронов В. Є."}


async def test_real_file_converted_from_xlsx_reads_its_old_values(session):
    report = await run_import(
        session, [upload(real("evoting-json/kyiv-rada4/converted-from-xlsx/210211_1.json"))],
        add_unknown_deputies=True)
    assert report.ok
    event = (await session.scalars(select(VoteEvent))).one()
    # "Рішення ПРИЙНЯТЕ", 122 rows, 102/0/0/8 and 12 absent ("..." and one "0").
    assert event.result == DecisionResult.ADOPTED
    assert (event.for_count, event.not_voting_count, event.absent_count) == (102, 8, 12)
    assert event.roll_size == 122 and not event.needs_review


async def test_real_invalid_json_is_refused_with_line_and_column(session):
    report = await run_import(session, [
        upload(real("evoting-json/kyiv-rada4/raw-invalid/230713_204.json")),
        upload(real("evoting-json/kyiv-rada4/raw-invalid/231005_16.json")),
    ], add_unknown_deputies=True)
    control, quote = report.files
    assert control.status == quote.status == FileStatus.REJECTED
    assert (control.issues[0].key, control.issues[0].where) == ("votes.error.json_control",
                                                                "line 9, column 486")
    assert (quote.issues[0].key, quote.issues[0].where) == ("votes.error.json",
                                                            "line 9, column 151")
    assert await counts(session) == {"deputies": 0, "sessions": 0, "events": 0, "casts": 0}


async def test_lenient_json_accepts_a_raw_line_break_but_not_a_stray_quote(session):
    report = await run_import(session, [
        upload(real("evoting-json/kyiv-rada4/raw-invalid/230713_204.json")),
        upload(real("evoting-json/kyiv-rada4/raw-invalid/231005_16.json")),
    ], add_unknown_deputies=True, lenient_json=True)
    assert [f.status for f in report.files] == [FileStatus.IMPORTED, FileStatus.REJECTED]
    title = (await session.scalars(select(VoteEvent.title))).one()
    assert "\n" not in title and "\r" not in title


async def test_a_zip_with_an_invalid_member_is_refused_whole_unless_staff_choose(session):
    bundle = zip_of([*kyiv_raw(), upload(KYIV / "raw-invalid" / "231005_16.json")])
    report = await run_import(session, [bundle], add_unknown_deputies=True)
    (whole,) = report.files
    assert whole.status == FileStatus.REJECTED and whole.name == "day.zip"
    assert whole.issues[0].where and whole.issues[0].where.startswith("231005_16.json: line 9")
    assert whole.issues[-1].key == "votes.error.zip_not_imported"
    assert await counts(session) == {"deputies": 0, "sessions": 0, "events": 0, "casts": 0}

    report = await run_import(session, [bundle], add_unknown_deputies=True, partial_zip=True)
    statuses = {f.name: f.status for f in report.files}
    assert statuses.pop("day.zip/231005_16.json") == FileStatus.REJECTED
    assert set(statuses.values()) == {FileStatus.IMPORTED} and len(statuses) == 4
    assert (await counts(session))["events"] == 4


async def test_real_drohobych_session_needs_the_voting_ids_of_the_deputies(session):
    drohobych = upload(next(real("evoting-json/drohobych-opora-session").glob("*.json")))
    report = await run_import(session, [drohobych], add_unknown_deputies=True)
    (refused,) = report.files
    assert refused.status == FileStatus.REJECTED
    # Unknown voting-system ids are never turned into deputies; each is reported once.
    keys = issue_keys(report)
    assert set(keys) == {"votes.error.unknown_voter_id"} and len(keys) == 37
    report = await run_import(session, [drohobych, upload(OWN / "drohobych-deputies.csv")])
    deputies, votes = report.files[1], report.files[0]
    assert deputies.changes.deputies_new == 37 and votes.status == FileStatus.IMPORTED
    # 58 votes, the "Сигнальне" (test) one skipped; no result was published.
    assert votes.changes.votes_new == 57 and votes.changes.votes_skipped == 1
    assert votes.issues[0].key == "votes.skip.signal"
    assert await session.scalar(select(func.count()).select_from(VoteEvent).where(
        VoteEvent.result.is_not(None))) == 0
    # The dirty values "НЕ ГОЛОСУ" and " НЕ ГОЛОСУВАВ" are "did not vote", kept as printed.
    dirty = (await session.execute(select(VoteCast.raw_value, VoteCast.value).where(
        VoteCast.raw_value.in_(["НЕ ГОЛОСУ", " НЕ ГОЛОСУВАВ"])))).all()
    assert sorted(dirty) == [(" НЕ ГОЛОСУВАВ", "not_voting"), ("НЕ ГОЛОСУ", "not_voting")]
    session_row = (await session.scalars(select(VoteSession))).one()
    assert (session_row.label, session_row.date_from) == ("XVII сесія VII скликання",
                                                          date(2017, 2, 17))


async def test_the_standards_example_workbook_is_refused_with_a_hint(session):
    report = await run_import(session, [upload(real("annex29-standard/votings/example.xlsx"))])
    assert issue_keys(report) == ["votes.error.spreadsheet"]


async def test_simplified_model_in_any_order_cp1251_typos_and_ukrainian_titles(session):
    # Given votings first: files are taken deputies -> motions2 -> votings.
    report = await run_import(session, list(reversed(council_files())))
    by_name = {f.name: f for f in report.files}
    assert by_name["deputies.csv"].changes.deputies_new == 6
    assert by_name["deputies.csv"].encoding == "utf-8"
    motions = by_name["motions2.csv"]
    assert (motions.kind, motions.encoding) == ("annex29-motions2", "windows-1251")
    assert motions.changes.votes_new == 4 and motions.changes.sessions_new == 1
    votings = by_name["votings.csv"]
    assert votings.kind == "annex29-votings" and votings.changes.rolls_attached == 4
    assert votings.changes.roll_rows == 24
    event = await _event(session, "2024-09-04-1")
    assert (event.title, event.project_number, event.result) == (
        "Про затвердження порядку денного", "757/1", DecisionResult.ADOPTED)
    assert event.text_url == "https://rada.example.ua/docs/757-1.html"
    assert not event.needs_review and event.roll_size == 6
    # Feminine forms and lower case are normalised; what was published is kept.
    values = dict((await session.execute(select(VoteCast.raw_value, VoteCast.value).where(
        VoteCast.event_id == event.id))).all())
    assert values["Утрималася"] == "abstain" and values["Відсутня"] == "absent"
    factions = {f.name: f.is_unaffiliated for f in await session.scalars(select(Faction))}
    assert factions == {"Фракція «Світанок»": False, "Фракція «Рух»": False,
                        "Позафракційні": True}
    gontar = (await session.scalars(select(Deputy).where(Deputy.voting_id == "103"))).one()
    assert (gontar.full_name, gontar.district, gontar.faction_post) == (
        "Ґонтар Ярина Сергіївна", 3, None)


async def test_normalised_model_resources_link_up(session):
    files = [upload(p) for p in sorted((OWN / "normalised").iterdir())]
    report = await run_import(session, [council_files()[0], *files])
    assert report.ok, report
    convocation = (await session.scalars(select(Convocation))).one()
    assert (convocation.label, convocation.authority_code) == ("8 скликання", "01234567")
    stored = (await session.scalars(select(VoteSession))).one()
    assert (stored.label, stored.date_from, stored.date_until) == (
        "2 сесія", date(2024, 10, 10), date(2024, 10, 11))
    assert await session.scalar(select(func.count()).select_from(AgendaItem)) == 2
    # Two votes on one motion ("за основу", "в цілому"), each its own vote event.
    first, second, third = (await session.scalars(select(VoteEvent).order_by(
        VoteEvent.source_key))).all()
    assert first.agenda_item_id == second.agenda_item_id
    assert first.title.startswith("За основу") and second.title.startswith("В цілому")
    assert first.item_title == "Про програму \"Чисте місто\" на 2025 рік"
    # An empty projectTitle falls back to the motion's title.
    assert third.title == "Про звіт старости"
    # ve-3 published 3/1/0/0/2 but the roll call says 2/1/0/1/2: flagged, counts as published.
    assert not first.needs_review and not second.needs_review
    assert third.needs_review and third.review_note == {"published": [3, 1, 0, 0, 2],
                                                        "roll_call": [2, 1, 0, 1, 2]}
    assert (third.for_count, third.not_voting_count) == (3, 0)
    assert report.files[-2].changes.votes_flagged == 1  # vote.csv


async def test_evoting_variants_match_the_deputies_list_by_initials(session):
    await run_import(session, council_files())
    before = (await counts(session))["deputies"]
    files = [upload(p) for p in sorted((OWN / "evoting").iterdir())]
    report = await run_import(session, files)
    assert report.ok, [(f.name, f.issues) for f in report.rejected]
    # "Іваненко  П. М." and "Ar'єв Б. О." (cp1251) found the listed deputies: nobody new.
    assert (await counts(session))["deputies"] == before
    by_name = {f.name: f for f in report.files}
    assert by_name["session-2024-11-06-cp1251.json"].encoding == "windows-1251"
    assert by_name["session-2024-11-06-cp1251.json"].changes.votes_skipped == 1
    assert by_name["kherson-style-session.json"].changes.items_new == 1
    assert by_name["241105_2.json"].changes.votes_flagged == 1
    # Dubno-style GLText under a PD item, "ПРИЙНЯТО" spelling, cp1251, CRLF.
    event = (await session.scalars(select(VoteEvent).where(
        VoteEvent.title == "Про тарифи на проїзд (в цілому)"))).one()
    assert event.result == DecisionResult.ADOPTED and event.item_title == "Про тарифи на проїзд"
    assert (event.for_count, event.against_count, event.abstain_count, event.not_voting_count,
            event.absent_count, event.counts_published) == (2, 1, 1, 1, 1, False)
    # The placeholder seat of 241105_1 voted "for" and is counted without a deputy.
    event = (await session.scalars(select(VoteEvent).where(VoteEvent.source_file ==
                                                           "241105_1.json"))).one()
    unnamed = (await session.scalars(select(VoteCast.value).where(
        VoteCast.event_id == event.id, VoteCast.deputy_id.is_(None)))).all()
    assert unnamed == ["for"] and event.for_count == 3 and not event.needs_review


async def test_reimporting_everything_changes_nothing(session):
    everything = [*council_files(), *(upload(p) for p in sorted((OWN / "normalised").iterdir())),
                  *(upload(p) for p in sorted((OWN / "evoting").iterdir()))]
    first = await run_import(session, everything)
    assert first.ok
    before = await counts(session)
    ids = (await session.scalars(select(VoteEvent.id).order_by(VoteEvent.id))).all()
    second = await run_import(session, everything)
    assert {f.status for f in second.files} == {FileStatus.UNCHANGED}
    assert second.totals.votes_new == second.totals.roll_rows == 0
    assert await counts(session) == before
    assert (await session.scalars(select(VoteEvent.id).order_by(VoteEvent.id))).all() == ids
    # The same vote under another file name is the same vote.
    renamed = UploadedFile("copy.json", (OWN / "evoting" / "241105_1.json").read_bytes())
    assert (await run_import(session, [renamed])).files[0].status == FileStatus.UNCHANGED


async def test_encodings_bom_and_line_ends_read_the_same(session):
    text = (OWN / "council" / "deputies.csv").read_bytes().decode("utf-8-sig")
    variants = [
        ("utf8-bom-crlf.csv", ("\ufeff" + text).encode("utf-8")),
        ("utf8-lf.csv", text.replace("\r\n", "\n").encode("utf-8")),
        ("cp1251-crlf.csv", text.replace("ʼ", "'").encode("cp1251")),
        ("utf16.csv", text.encode("utf-16")),
    ]
    reports = [await run_import(session, [UploadedFile(n, d)]) for n, d in variants]
    assert reports[0].files[0].changes.deputies_new == 6
    assert [r.files[0].status for r in reports[1:]] == [FileStatus.UNCHANGED] * 3
    assert [r.files[0].encoding for r in reports] == ["utf-8", "utf-8", "windows-1251",
                                                      "utf-16"]


async def test_a_deputies_list_upgrades_deputies_known_only_from_roll_calls(session):
    await run_import(session, [upload(OWN / "evoting" / "241105_1.json")],
                     add_unknown_deputies=True)
    known = {d.name_key: d.id for d in await session.scalars(select(Deputy))}
    assert len(known) == 6 and all(
        d.source == "roll_call" for d in await session.scalars(select(Deputy)))
    report = await run_import(session, [council_files()[0]])
    assert (report.files[0].changes.deputies_new, report.files[0].changes.deputies_updated) == (
        0, 6)
    after = {d.name_key: d for d in await session.scalars(select(Deputy))}
    assert {k: d.id for k, d in after.items()} == known
    assert after["коваленко о п"].full_name == "Коваленко Олена Петрівна"
    assert after["коваленко о п"].external_id == "1001-АБВ"


async def test_the_caller_decides_whether_the_import_is_kept(session):
    """Files are savepoints inside the caller's transaction: rolling it back keeps nothing
    (on SQLite too, where a first savepoint would otherwise be committed on release)."""
    from services.votes.importer import import_files

    report = await import_files(session, SHELL, council_files())
    assert report.ok and (await counts(session))["events"] == 4
    await session.rollback()
    assert await counts(session) == {"deputies": 0, "sessions": 0, "events": 0, "casts": 0}


async def test_a_second_header_row_of_ukrainian_titles_is_skipped(session):
    """The standard's example files carry names in row 1 and titles in row 2; a handler
    passes one document's bytes and name."""
    from services.votes.importer import import_file

    await run_import(session, council_files()[:1] + [
        upload(OWN / "normalised" / n) for n in ("convocations.csv", "sessions.csv",
                                                 "motions.csv", "voteEvents.json")])
    lines = (OWN / "normalised" / "vote.csv").read_text(encoding="utf-8").splitlines()
    with_titles = [lines[0], "Унікальний ідентифікатор,Ідентифікатор учасника голосування,"
                   "Результат голосування", *lines[1:]]
    report = await import_file(session, SHELL, "vote.csv", "\n".join(with_titles).encode())
    (done,) = report.files
    assert done.status == FileStatus.IMPORTED and done.changes.roll_rows == 18
