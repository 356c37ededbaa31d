"""Annex 30 of Resolution 835: the council's deputies, with faction, district and the id
they have in the e-voting system. «Позафракційний» marks a deputy outside any faction."""

from __future__ import annotations

from services.votes.formats.annex29 import Row
from services.votes.formats.records import ParsedDeputy, ParsedFile, Rank
from services.votes.formats.tabular import Table
from services.votes.normalize import clean_text, district_number, fix_homoglyphs
from services.votes.report import ImportProblem, ProblemList


def _gender(raw: str | None) -> int | None:
    if raw is None:
        return None
    if raw.strip() in ("0", "1", "2", "9"):
        return int(raw.strip())
    raise ValueError(raw)


def _name_part(row: Row, field: str, required: bool) -> str | None:
    value = row.required(field) if required else row.text(field)
    if value is None:
        return None
    return " ".join(fix_homoglyphs(w) for w in clean_text(value).split(" "))


def _deputy(row: Row) -> ParsedDeputy:
    family = _name_part(row, "familyName", True)
    assert family is not None
    return ParsedDeputy(
        where=row.where,
        family_name=family,
        given_name=_name_part(row, "name", True),
        patronymic=_name_part(row, "additionalName", False),
        external_id=row.text("id"),
        voting_id=row.text("votingIdentifier"),
        gender=row.typed("gender", _gender, "votes.error.bad_gender"),
        faction=row.text("factionName"),
        faction_post=row.text("factionPost"),
        district=row.typed("areaId", district_number, "votes.error.bad_district"),
        party_name=row.text("partyName"),
        photo_url=row.text("image"),
        email=row.text("email"),
        telephone=row.text("telephone"),
        homepage=row.text("homepage"),
        opening_hours=row.text("openingHours"),
    )


def parse_deputies(columns: dict[str, int], table: Table) -> ParsedFile:
    out = ParsedFile(kind="annex30-deputies", rank=Rank.DEPUTIES)
    problems = ProblemList()
    if not table.rows:
        raise ImportProblem("votes.error.no_rows")
    seen: dict[tuple[str, str], str] = {}
    for where, cells in table.rows:
        row = Row(where, cells, columns)
        try:
            deputy = _deputy(row)
        except ImportProblem as problem:
            problems.add(problem.at(where))
            continue
        for field, value in (("id", deputy.external_id),
                             ("votingIdentifier", deputy.voting_id)):
            if value is None:
                continue
            first = seen.setdefault((field, value), where)
            if first != where:
                problems.add(ImportProblem("votes.error.duplicate_row", field=field,
                                           value=value, first=first, where=where))
        out.deputies.append(deputy)
    problems.raise_any()
    return out
