"""Annex 29 of Resolution 835: the normalised resources (convocations, sessions, motions,
voteEvents, vote) and the simplified pair (motions2 + votings), one resource per file.

Every wrong row is reported with its row number; a file with any wrong row is refused whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.votes.formats.records import (
    Counts,
    ParsedConvocation,
    ParsedEvent,
    ParsedFile,
    ParsedItem,
    ParsedRoll,
    ParsedSession,
    Rank,
    RollRow,
)
from services.votes.formats.schemas import Resource
from services.votes.formats.tabular import Table
from services.votes.normalize import (
    count_value,
    decision_result,
    fold,
    optional_text,
    parse_date,
    parse_moment,
    seconds_of_day,
    vote_code,
)
from services.votes.report import ImportProblem, ProblemList

RANKS = {
    "convocations": Rank.CONVOCATIONS, "sessions": Rank.SESSIONS, "motions": Rank.ITEMS,
    "motions2": Rank.EVENTS, "voteEvents": Rank.EVENTS, "vote": Rank.ROLLS, "votings": Rank.ROLLS,
}


class Row:
    """One row's cells by field name, with typed getters that name the field on failure."""

    def __init__(self, where: str, cells: list[Any], columns: dict[str, int]) -> None:
        self.where = where
        self._cells = cells
        self._columns = columns

    def text(self, field: str) -> str | None:
        index = self._columns.get(field)
        if index is None or index >= len(self._cells):
            return None
        return optional_text(self._cells[index])

    def required(self, field: str) -> str:
        value = self.text(field)
        if value is None:
            raise ImportProblem("votes.error.missing_value", field=field)
        return value

    def typed(self, field: str, convert: Callable[[Any], Any], key: str) -> Any:
        raw = self.text(field)
        try:
            return convert(raw)
        except ValueError:
            raise ImportProblem(key, field=field, value=raw or "") from None


def _counts(row: Row) -> Counts:
    def n(field: str) -> int | None:
        return row.typed(field, count_value, "votes.error.bad_count")

    return Counts(n("votingFor"), n("votingAgainst"), n("votingAbstain"), n("notVoting"),
                  n("absent"))


def _result(row: Row, field: str) -> tuple[Any, str | None]:
    return row.typed(field, decision_result, "votes.error.bad_result"), row.text(field)


def _number(raw: str | None) -> int:
    digits = "".join(ch for ch in (raw or "").split("-")[0].split(".")[0] if ch.isdigit())
    return int(digits[:9]) if digits else 0


def _vote(row: Row, field: str = "result") -> tuple[str, str]:
    raw = row.text(field) or ""
    try:
        return vote_code(raw), raw
    except ValueError:
        raise ImportProblem("votes.error.bad_vote", value=raw) from None


def _convocation(row: Row, out: ParsedFile) -> None:
    out.convocations.append(ParsedConvocation(
        key="a29:" + row.required("uid"), label=row.required("label"),
        date_from=row.typed("dateFrom", parse_date, "votes.error.bad_date"),
        date_until=row.typed("dateUntil", parse_date, "votes.error.bad_date"),
        authority_name=row.text("authorityName"), authority_code=row.text("authorityId"),
        katottg=row.text("CATUTTC"),
    ))


def _session(row: Row, out: ParsedFile) -> None:
    start = row.typed("dateFrom", parse_date, "votes.error.bad_date")
    until = row.typed("dateUntil", parse_date, "votes.error.bad_date")
    if start is None:
        raise ImportProblem("votes.error.missing_value", field="dateFrom")
    out.sessions.append(ParsedSession(
        key="a29:" + row.required("uid"), label=row.required("label"), date_from=start,
        date_until=until or start, convocation_key="a29:" + row.required("convocationUid"),
        where=row.where,
    ))


def _motion(row: Row, out: ParsedFile) -> None:
    out.items.append(ParsedItem(
        key="a29:" + row.required("uid"), session_key="a29:" + row.required("sessionUid"),
        title=row.required("title"), number=row.text("number"),
        classification=row.text("classification"),
        held_on=row.typed("date", parse_date, "votes.error.bad_date"),
        sources=row.text("sources"), sponsor_voting_id=row.text("votingIdentifier"),
        where=row.where,
    ))


def _vote_event(row: Row, out: ParsedFile) -> None:
    started = row.typed("startDate", parse_moment, "votes.error.bad_date")
    result, raw = _result(row, "result")
    out.events.append(ParsedEvent(
        key="a29e:" + row.required("uid"), where=row.where,
        title=row.text("projectTitle") or "", session_key=None,
        item_key="a29:" + row.required("motionUid"),
        project_number=row.text("projectNumber"), started_at=started,
        ended_at=row.typed("endDate", parse_moment, "votes.error.bad_date"),
        sequence=seconds_of_day(started) if started else None,
        result=result, result_raw=raw, counts=_counts(row),
        text_url=row.text("textUrl"), text_file=row.text("text"),
    ))


def _motion2(row: Row, out: ParsedFile) -> None:
    uid = row.required("uid")
    held_on = row.typed("date", parse_date, "votes.error.bad_date")
    if held_on is None:
        raise ImportProblem("votes.error.missing_value", field="date")
    convocation = row.required("convocation")
    session_label = row.required("legislativeSession")
    convocation_key = "a29s:" + fold(convocation)
    session_key = f"{convocation_key}|{fold(session_label)}"
    out.convocations.append(ParsedConvocation(
        key=convocation_key, label=convocation, authority_name=row.text("authorityName"),
        authority_code=row.text("authorityId"), katottg=row.text("authorityCattutc"),
    ))
    out.sessions.append(ParsedSession(
        key=session_key, label=f"{session_label}, {convocation}", date_from=held_on,
        date_until=held_on, convocation_key=convocation_key, where=row.where,
    ))
    title, number = row.required("title"), row.text("number")
    out.items.append(ParsedItem(key="a29:" + uid, session_key=session_key, title=title,
                                number=number, held_on=held_on, where=row.where))
    result, raw = _result(row, "votingResult")
    out.events.append(ParsedEvent(
        key="a29m:" + uid, where=row.where, title=title, session_key=session_key,
        item_key="a29:" + uid, item_number=number, project_number=row.text("projectNumber"),
        held_on=held_on, sequence=_number(number), result=result, result_raw=raw,
        counts=_counts(row), text_url=row.text("textUrl"), text_file=row.text("text"),
    ))


def _roll_rows(table_rows: list[Row], uid_field: str, id_field: str,
               name_field: str | None, ref: str, out: ParsedFile,
               problems: ProblemList) -> None:
    grouped: dict[str, list[RollRow]] = {}
    first_where: dict[str, str] = {}
    for row in table_rows:
        try:
            uid = row.required(uid_field)
            voter_id = row.text(id_field)
            name = row.text(name_field) if name_field else None
            if voter_id is None and name is None:
                raise ImportProblem("votes.error.missing_value", field=id_field)
            value, raw = _vote(row)
        except ImportProblem as problem:
            problems.add(problem.at(row.where))
            continue
        place, index = row.where.rsplit(" ", 1)
        grouped.setdefault(uid, []).append(RollRow(place, int(index), name, voter_id, value,
                                                   raw))
        first_where.setdefault(uid, row.where)
    for uid, rows in grouped.items():
        out.rolls.append(ParsedRoll(first_where[uid], uid, ref, tuple(rows)))


_ROW_PARSERS: dict[str, Callable[[Row, ParsedFile], None]] = {
    "convocations": _convocation, "sessions": _session, "motions": _motion,
    "voteEvents": _vote_event, "motions2": _motion2,
}


def parse_table(resource: Resource, columns: dict[str, int], table: Table) -> ParsedFile:
    out = ParsedFile(kind=f"annex29-{resource.name}", rank=RANKS[resource.name])
    problems = ProblemList()
    rows = [Row(where, cells, columns) for where, cells in table.rows]
    if not rows:
        raise ImportProblem("votes.error.no_rows")
    if resource.name == "vote":
        _roll_rows(rows, "uid", "voterUid", None, "event", out, problems)
    elif resource.name == "votings":
        if "voterId" not in columns and "voterName" not in columns:
            raise ImportProblem("votes.error.missing_column", field="voterId")
        _roll_rows(rows, "motionUid", "voterId", "voterName", "motion", out, problems)
    else:
        parse_row = _ROW_PARSERS[resource.name]
        for row in rows:
            try:
                parse_row(row, out)
            except ImportProblem as problem:
                problems.add(problem.at(row.where))
    problems.raise_any()
    _merge_simplified_sessions(out)
    return out


def _merge_simplified_sessions(out: ParsedFile) -> None:
    """motions2 repeats its convocation and session on every row: keep one of each, with the
    session spanning the dates of all its rows."""
    convocations = {c.key: c for c in out.convocations}
    out.convocations = list(convocations.values())
    spans: dict[str, ParsedSession] = {}
    for s in out.sessions:
        known = spans.get(s.key)
        if known is None:
            spans[s.key] = s
        else:
            spans[s.key] = ParsedSession(
                s.key, known.label, min(known.date_from, s.date_from),
                max(known.date_until, s.date_until), known.convocation_key, known.where,
            )
    out.sessions = list(spans.values())
