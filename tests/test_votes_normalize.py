"""Normalisation of published values: votes, results, names, headers, numbers and dates."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest

from services.votes.formats.schemas import RESOURCES, detect, match_columns
from services.votes.models import DecisionResult, VoteValue
from services.votes.normalize import (
    count_value,
    decision_result,
    district_number,
    faction_key,
    fold,
    is_placeholder_name,
    parse_date,
    parse_moment,
    person_name,
    vote_value,
)
from tests.votes_support import real

F, A, AB, NV, ABS = (VoteValue.FOR, VoteValue.AGAINST, VoteValue.ABSTAIN, VoteValue.NOT_VOTING,
                     VoteValue.ABSENT)


# Every spelling VOTES.md §2.2 lists (Kyiv raw and XLSX era, OPORA parsers, Drohobych, XML).
@pytest.mark.parametrize(("raw", "expected"), [
    ("За       ", F), ("За", F), ("ЗА", F), ("за", F), ("ЗА ", F),
    ("Проти    ", A), ("Проти", A), ("ПРОТИ", A), ("проти", A),
    ("Утримався", AB), ("УТРИМАВСЯ", AB), ("утримався", AB), ("УТРИМАЛАСЬ", AB),
    ("утрималась", AB), ("Утрималася", AB), ("Утр.", AB),
    ("Не голосував", NV), ("НЕ ГОЛОСУВАВ", NV), ("Не голосувала", NV), ("Н/Г", NV),
    ("НЕ ГОЛОСУ", NV), ("НЕ", NV), ("НА ГОЛОСУВАВ", NV), (" НЕ ГОЛОСУВАВ", NV),
    ("Не брав участі", NV),
    (".........", ABS), ("...", ABS), ("0", ABS), ("", ABS), (None, ABS),
    ("ВІДСУТНІЙ", ABS), ("ВІДСУТНЯ", ABS), ("відсутня", ABS), ("Відсутній", ABS), ("ВІДСУТ", ABS),
])
def test_every_published_vote_spelling_is_understood(raw: str | None, expected: VoteValue):
    assert vote_value(raw) is expected


@pytest.mark.parametrize("raw", ["так", "ЗАБОРОНЕНО", "1", "ъБ"])
def test_an_unknown_vote_is_an_error_not_a_guess(raw: str):
    with pytest.raises(ValueError):
        vote_value(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    (" РІШЕННЯ ПРИЙНЯТЕ ", DecisionResult.ADOPTED),
    (" РІШЕННЯ НЕ ПРИЙНЯТЕ ", DecisionResult.NOT_ADOPTED),
    ("Рішення ПРИЙНЯТЕ", DecisionResult.ADOPTED),
    (" РІШЕННЯ ПРИЙНЯТО ", DecisionResult.ADOPTED),
    ("Прийнято", DecisionResult.ADOPTED), ("Не прийнято", DecisionResult.NOT_ADOPTED),
    ("Не голосували", DecisionResult.NOT_VOTED), ("Не розглядали", DecisionResult.NOT_CONSIDERED),
    ("", None), (None, None),
])
def test_published_results(raw: str | None, expected: DecisionResult | None):
    assert decision_result(raw) is expected


def test_an_unknown_result_is_an_error():
    with pytest.raises(ValueError):
        decision_result("Відкладено")


@pytest.mark.parametrize("raw", ["Артеменко  С.В.", "Артеменко  С. В.", "Артеменко С.В.",
                                 "артеменко с. в.", "Артеменко С .В ."])
def test_name_spacing_and_dots_give_one_key(raw: str):
    assert person_name(raw).short_key == "артеменко с в"
    assert person_name(raw).full_key is None


def test_full_names_initials_apostrophes_and_latin_lookalikes():
    full = person_name("Коваленко Сергій Олександрович")
    assert (full.family, full.given, full.patronymic) == ("Коваленко", "Сергій", "Олександрович")
    assert full.short == "Коваленко С. О." and full.short_key == "коваленко с о"
    # Three apostrophe characters, one person; a Latin "I" typed into a Cyrillic name.
    assert {person_name(n).short_key for n in ("Ар'єва Я.В.", "Ар’єва Я. В.", "Арʼєва Я.В.")} \
        == {"арєва я в"}
    assert person_name("Iваненко П.М.").short_key == person_name("Іваненко П. М.").short_key
    assert is_placeholder_name(". ....") and is_placeholder_name(". .. ..")
    assert not is_placeholder_name("Ус О.")


def test_fold_is_ukrainian_aware():
    assert fold("Ґрунтова") == fold("грунтова")
    assert fold("Арʼєв-Петренко") == "арєв петренко"
    assert faction_key("Позафракційний") == faction_key("позафракційна") == "позафракційні"


@pytest.mark.parametrize(("raw", "expected"), [(12, 12), ("12", 12), (" 12 ", 12), ("12.0", 12),
                                               (12.0, 12), ("", None), ("null", None),
                                               (None, None)])
def test_counts_as_numbers_or_text(raw: object, expected: int | None):
    assert count_value(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "12,5", "abc", True, 2.5])
def test_bad_counts(raw: object):
    with pytest.raises(ValueError):
        count_value(raw)


def test_dates_and_moments_in_every_published_format():
    kyiv = datetime(2021, 8, 31, 16, 52, 37, tzinfo=UTC)  # 19:52:37 Kyiv summer time
    assert parse_moment("31.08.2021 19:52:37") == kyiv
    assert parse_moment("2023-04-09T15:00:00.000000Z") == datetime(2023, 4, 9, 15, tzinfo=UTC)
    assert parse_moment("11.02.21 11:17") == datetime(2021, 2, 11, 9, 17, tzinfo=UTC)
    assert parse_moment("17.02.17") is None and parse_moment("") is None
    assert parse_date("17.02.17") == date(2017, 2, 17)
    assert parse_date("2024-09-04") == date(2024, 9, 4)
    assert parse_date("31.08.2021 23:30:00") == date(2021, 8, 31)
    assert district_number("19") == 19 and district_number("null") is None
    assert district_number("№ 7") == 7
    with pytest.raises(ValueError):
        parse_moment("32.13.2021 10:00:00")


def _schema_rows(folder: str) -> list[dict[str, str]]:
    with real(folder).joinpath("schema.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("resource", ["convocations", "sessions", "motions", "voteEvents", "vote",
                                      "motions2", "votings"])
def test_every_standard_column_is_recognised_by_name_and_by_title(resource: str):
    """The standard's own schema (the real schema.csv files): names and Ukrainian titles."""
    rows = _schema_rows(f"annex29-standard/{resource}")
    names = [r["name"] for r in rows]
    for header in (names, [r["title"] for r in rows], [n.upper() for n in names]):
        found = detect(header)
        assert found is not None, header
        assert found[0].name == resource
        assert set(found[1]) == set(names), header


def test_the_deputies_standard_is_recognised():
    rows = _schema_rows("annex30-deputies-standard")
    for header in ([r["name"] for r in rows], [r["title"] for r in rows]):
        found = detect(header)
        assert found is not None and found[0].name == "deputies"
        assert {"id", "votingIdentifier", "familyName", "name", "additionalName", "gender",
                "image", "partyName", "email", "telephone", "homepage", "factionName",
                "factionPost", "areaId", "openingHours"} <= set(found[1])


def test_misspelled_headers_from_real_portals():
    header = ["uid", "data", "authorityName", "authorityId", "authorityCattutc", "convocation",
              "legistativeSession", "num", "title", "projektNum", "votingFor", "vottingAgains",
              "votingAbstain", "notVoting", "absent", "votingResult", "textUrl", "tex"]
    found = detect(header)
    assert found is not None and found[0].name == "motions2"
    assert {"date", "legislativeSession", "number", "projectNumber", "votingAgainst",
            "text"} <= set(found[1])
    # A header cell with a stray line break (the standard's own example.xlsx has one).
    events = next(r for r in RESOURCES if r.name == "voteEvents")
    assert "votingAgainst" in match_columns(events, ["voting\nAgainst"])
