"""Bad input to the vote import: each refused with the file, the place and the reason, and
nothing of the file stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from services import roles
from services.errors import PermissionDenied
from services.i18n import get_translator
from services.models import Channel, Role
from services.votes.access import Actor
from services.votes.archive import UploadedFile
from services.votes.models import Deputy, VoteEvent
from services.votes.report import FileStatus, render_report
from services.votes.rules import VotesLimits
from tests.votes_support import OWN, council_files, counts, issue_keys, run_import, upload

EMPTY = {"deputies": 0, "sessions": 0, "events": 0, "casts": 0}


def vote_json(rows: list[tuple[str, str]], **fields: object) -> bytes:
    """A per-vote e-voting file in the Kyiv shape with consistent counts."""
    tally = {v: sum(1 for _, g in rows if g == v) for v in ("За", "Проти", "Утримався",
                                                             "Не голосував")}
    body: dict[str, object] = {
        "OrgName": "ТЕСТОВА МІСЬКА РАДА", "SName": "Пленарне засідання 3 сесія 8 скликання",
        "GLTime": "12.11.2024 10:00:00", "GL_Text": "Про тестове рішення",
        "DPList": [{"DPName": n, "DPGolos": g} for n, g in rows],
        "YESCnt": tally["За"], "NOCnt": tally["Проти"], "UTRCnt": tally["Утримався"],
        "NGCnt": tally["Не голосував"], "TotalCnt": sum(tally.values()),
        "RESULT": " РІШЕННЯ ПРИЙНЯТЕ ",
    }
    body.update(fields)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


KNOWN = [("Коваленко О.П.", "За"), ("Іваненко П.М.", "За"), ("Ґонтар Я.С.", "Проти")]


async def test_an_unknown_deputy_refuses_the_file_and_names_them(session):
    await run_import(session, council_files()[:1])
    report = await run_import(session, [UploadedFile("v.json", vote_json(
        [*KNOWN, ("Невідомий А. Б.", "За"), ("Невідомий А.Б.", "За")]))])
    (refused,) = report.files
    assert refused.status == FileStatus.REJECTED
    # Reported once, with where it is; the second spelling is the same unknown person.
    assert [(i.key, dict(i.params), i.where) for i in refused.issues] == [
        ("votes.error.unknown_deputy", {"name": "Невідомий А. Б."}, "DPList item 4"),
        ("votes.error.unknown_deputy", {"name": "Невідомий А.Б."}, "DPList item 5"),
    ]
    assert (await counts(session))["events"] == 0 and (await counts(session))["deputies"] == 6


async def test_unknown_deputies_are_added_once_when_staff_ask(session):
    await run_import(session, council_files()[:1])
    first = await run_import(session, [UploadedFile("a.json", vote_json(
        [*KNOWN, ("Новенький  А.Б.", "За")]))], add_unknown_deputies=True)
    assert first.files[0].new_deputies == ("Новенький А. Б.",)
    second = await run_import(session, [UploadedFile("b.json", vote_json(
        [*KNOWN, ("Новенький А. Б.", "Проти")], GLTime="12.11.2024 10:05:00"))],
        add_unknown_deputies=True)
    assert second.files[0].new_deputies == () and second.files[0].changes.votes_new == 1
    assert len((await session.scalars(select(Deputy).where(
        Deputy.name_key == "новенький а б"))).all()) == 1


async def test_a_deputy_twice_in_one_roll_call_is_refused(session):
    await run_import(session, council_files()[:1])
    report = await run_import(session, [UploadedFile("v.json", vote_json(
        [*KNOWN, ("Коваленко  О. П.", "Проти")]))])
    (issue,) = report.files[0].issues
    assert (issue.key, issue.params["first"], issue.where) == (
        "votes.error.duplicate_deputy", "DPList item 1", "DPList item 4")
    assert (await counts(session))["events"] == 0


async def test_duplicate_rows_in_a_deputies_list_and_a_votings_file(session):
    text = (OWN / "council" / "deputies.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    twice = "\r\n".join([*lines, lines[1]]).encode("utf-8")
    report = await run_import(session, [UploadedFile("deputies.csv", twice)])
    assert issue_keys(report) == ["votes.error.duplicate_row", "votes.error.duplicate_row"]
    assert report.files[0].issues[0].where == "row 8"
    assert await counts(session) == EMPTY
    await run_import(session, council_files()[:2])
    votings = (OWN / "council" / "votings.csv").read_text(encoding="utf-8").splitlines()
    report = await run_import(session, [UploadedFile(
        "votings.csv", "\n".join([*votings, votings[3]]).encode("utf-8"))])
    assert issue_keys(report) == ["votes.error.duplicate_deputy"]
    assert report.files[0].issues[0].where == "row 26"
    assert (await counts(session))["casts"] == 0


async def test_counts_that_contradict_themselves_refuse_the_file(session):
    await run_import(session, council_files()[:1])
    report = await run_import(session, [
        UploadedFile("sum.json", vote_json(KNOWN, TotalCnt=5)),
        UploadedFile("seats.json", vote_json(KNOWN, YESCnt=5, NGCnt=1, TotalCnt=7)),
    ])
    assert [i.key for f in report.files for i in f.issues] == [
        "votes.error.counts_contradict", "votes.error.counts_exceed"]
    assert dict(report.files[0].issues[0].params) == {"total": 5, "sum": 3}
    assert (await counts(session))["events"] == 0


async def test_bad_values_are_listed_by_row_and_nothing_of_the_file_is_kept(session):
    text = (OWN / "council" / "motions2.csv").read_bytes().decode("cp1251").splitlines()
    header, *rows = text
    bad = rows[:]
    bad[1] = bad[1].replace(";3;3;0;0;0;", ";3;три;0;0;0;")
    bad[3] = bad[3].replace("Не прийнято", "Відкладено")
    report = await run_import(session, [UploadedFile(
        "motions2.csv", "\r\n".join([header, *bad]).encode("cp1251"))])
    assert [(i.key, i.where) for i in report.files[0].issues] == [
        ("votes.error.bad_count", "row 3"), ("votes.error.bad_result", "row 5")]
    assert await counts(session) == EMPTY
    tr = get_translator().for_language("uk")
    lines = render_report(tr, report)
    assert lines[0] == "❌ motions2.csv: не імпортовано, з файлу нічого не збережено."
    assert "рядок 3: vottingAgains" in lines[1] or "рядок 3: votingAgainst" in lines[1]
    en = render_report(get_translator().for_language("en"), report)
    assert en[2].startswith("  row 5: votingResult: unknown result “Відкладено”")


async def test_a_wrong_encoding_is_refused_with_the_reason(session):
    text = (OWN / "council" / "deputies.csv").read_bytes().decode("utf-8-sig")
    mojibake = text.encode("utf-8").decode("cp1251", errors="replace").encode("utf-8")
    report = await run_import(session, [
        UploadedFile("mojibake.csv", mojibake),
        UploadedFile("binary.csv", b"\x00\x01\x02PK garbage" * 20),
        UploadedFile("bom-but-not-utf8.csv", b"\xef\xbb\xbfuid,label\n\xff\xfe\n"),
        UploadedFile("koi8.csv", "uid,voterUid,result\nve-1,101,За\n".encode("koi8_u")),
    ])
    assert issue_keys(report) == ["votes.error.mojibake", "votes.error.binary",
                                  "votes.error.bad_utf8", "votes.error.bad_vote"]
    assert report.files[3].encoding == "windows-1251"  # read, and its values make no sense
    assert await counts(session) == EMPTY


async def test_empty_files(session):
    report = await run_import(session, [
        UploadedFile("empty.json", b""), UploadedFile("spaces.csv", b" \r\n \n"),
        UploadedFile("header.csv", b"uid,voterUid,result\r\n"),
        UploadedFile("list.json", b"[]"), UploadedFile("empty.zip", _zip({})),
    ])
    assert issue_keys(report) == ["votes.error.empty", "votes.error.empty",
                                  "votes.error.no_rows", "votes.error.no_rows",
                                  "votes.error.empty"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_a_file_over_the_size_limit(session):
    limits = VotesLimits(max_file_bytes=2000, max_unpacked_bytes=10_000, max_zip_members=10)
    data = (OWN / "council" / "deputies.csv").read_bytes()
    assert len(data) > 2000
    report = await run_import(session, [
        UploadedFile("deputies.csv", data),
        UploadedFile("small.zip", _zip({"deputies.csv": data})),
    ], limits=limits)
    assert issue_keys(report) == ["votes.error.too_large", "votes.error.too_large"]
    assert report.files[1].issues[0].where == "deputies.csv"
    assert await counts(session) == EMPTY


async def test_a_zip_bomb_stops_at_the_unpacked_limit(session):
    limits = VotesLimits(max_file_bytes=1_000_000, max_unpacked_bytes=5_000_000,
                         max_zip_members=20)
    bomb = _zip({"a.json": b"[" + b" " * 50_000_000 + b"]"})
    assert len(bomb) < 100_000
    many = _zip({f"{n}.json": b"[]" for n in range(21)})
    report = await run_import(session, [UploadedFile("bomb.zip", bomb),
                                        UploadedFile("many.zip", many)], limits=limits)
    assert issue_keys(report) == ["votes.error.zip_unpacked", "votes.error.zip_members"]
    # An archive whose headers understate the sizes is stopped while it is read (zipfile reads
    # no further than the stated size, and the checksum then fails).
    lying = bytearray(_zip({"a.json": b"[" + b" " * 20_000_000 + b"]"}))
    for header in (b"PK\x03\x04", b"PK\x01\x02"):
        at = lying.find(header)
        offset = 22 if header == b"PK\x03\x04" else 24
        lying[at + offset:at + offset + 4] = (100).to_bytes(4, "little")
    report = await run_import(session, [UploadedFile("lying.zip", bytes(lying))],
                              limits=limits)
    assert report.files[0].status == FileStatus.REJECTED
    assert issue_keys(report) == ["votes.error.bad_zip_member"]
    assert await counts(session) == EMPTY


async def test_only_staff_may_import(session):
    resident = Actor(Channel.TELEGRAM, "4242")
    with pytest.raises(PermissionDenied) as refused:
        await run_import(session, council_files(), actor=resident)
    assert refused.value.message_key == "votes.error.not_staff"
    assert await counts(session) == EMPTY
    await roles.grant(session, "test", Channel.TELEGRAM, "4242", Role.PRESS)
    report = await run_import(session, council_files(), actor=resident)
    assert report.ok


async def test_a_zip_is_all_or_nothing_even_when_a_later_member_fails_its_checks(session):
    """The first member is written before the second is found wrong: the savepoint takes
    it back, and the caches of the import forget it too."""
    votings = (OWN / "council" / "votings.csv").read_bytes()
    broken = votings.replace(b"2024-09-04-4,106", b"2024-09-04-9,106")  # no such motion
    bundle = UploadedFile("council.zip", _zip({
        "deputies.csv": (OWN / "council" / "deputies.csv").read_bytes(),
        "motions2.csv": (OWN / "council" / "motions2.csv").read_bytes(),
        "votings.csv": broken,
    }))
    report = await run_import(session, [bundle, *council_files()[:1]])
    zipped, deputies = report.files
    assert zipped.status == FileStatus.REJECTED
    assert (zipped.issues[0].key, zipped.issues[0].where) == (
        "votes.error.unknown_ref", "votings.csv: row 25")
    # The deputies file after it is imported as new: nothing of the ZIP remained.
    assert deputies.changes.deputies_new == 6
    assert (await counts(session))["events"] == 0


async def test_a_changed_vote_updates_until_its_session_is_published(session):
    from services.votes import publishing

    await run_import(session, council_files()[:1])
    original = vote_json(KNOWN)
    await run_import(session, [UploadedFile("v.json", original)])
    changed = vote_json([KNOWN[0], KNOWN[1], ("Ґонтар Я.С.", "За")])
    report = await run_import(session, [UploadedFile("v.json", changed)])
    assert report.files[0].changes.votes_updated == 1
    event = (await session.scalars(select(VoteEvent))).one()
    assert (event.for_count, event.against_count) == (3, 0)
    event_id = event.id
    await publishing.publish_session(session, Actor.shell("test"), event.session_id)
    await session.commit()
    report = await run_import(session, [UploadedFile("v.json", original)])
    assert issue_keys(report) == ["votes.error.session_published"]
    # The same vote again is still fine: nothing would change.
    assert (await run_import(session, [UploadedFile("v.json", changed)])).files[0].status \
        == FileStatus.UNCHANGED
    assert await session.scalar(select(VoteEvent.for_count).where(VoteEvent.id == event_id)) == 3


async def test_unknown_references_and_unknown_columns(session):
    report = await run_import(session, [
        upload(OWN / "normalised" / "vote.csv"),
        UploadedFile("what.csv", "колонка,інша\n1,2\n".encode()),
    ])
    assert issue_keys(report)[:1] == ["votes.error.unknown_ref"]
    assert issue_keys(report)[-1] == "votes.error.unknown_columns"
    assert await counts(session) == EMPTY
