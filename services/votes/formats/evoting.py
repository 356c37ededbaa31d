"""JSON of council e-voting systems ("Рада" family): one vote per file (`GL_Text`, `DPList`
of `DPName`/`DPGolos`, `RESULT`, `YESCnt`…`TotalCnt`, `GLTime`), lists of such votes, and
per-session files that nest them under agenda items (`PD`/`GLList`, `PDNPP`/`PDName`).
Also OPORA's session files keyed by voting-system id (`voting`/`namedVoting`).

A plenary day (the `GLTime` date) is a session: `SName` is unreliable (it did not change for
years in Kyiv). Test votes named «Сигнальне» are skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import count, repeat
from typing import Any

from services.timeutil import council_zone
from services.votes.formats.records import (
    Counts,
    ParsedConvocation,
    ParsedEvent,
    ParsedFile,
    ParsedItem,
    ParsedSession,
    Rank,
    RollRow,
)
from services.votes.normalize import (
    clean_text,
    count_value,
    decision_result,
    fold,
    optional_text,
    parse_moment,
    seconds_of_day,
    vote_code,
)
from services.votes.report import ImportProblem, Issue, ProblemList

_TITLE_KEYS = ("GL_Text", "GLText", "GL_Name", "GLName")
_ITEM_TITLE_KEYS = ("PD_Fullname", "PDName", "PD_Name", "PDFullname", "PD_FullName")
_ITEM_NUMBER_KEYS = ("PD_NPP", "PDNPP")
_CONVOCATION = re.compile(r"(\S+)\s+скликанн", re.IGNORECASE)
_TRAILING_MOMENT = re.compile(r"\s+від\s+\d{2}\.\d{2}\.\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?$")
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class _Context:
    org: str = ""
    session_label: str = ""
    item_title: str | None = None
    item_number: str | None = None


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in d:
            return d[key]
    return None


def looks_like_evoting(document: Any) -> bool:
    return _find_dplist(document, 0) or is_named_voting(document)


def _find_dplist(node: Any, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return False
    if isinstance(node, dict):
        return "DPList" in node or any(_find_dplist(v, depth + 1) for v in node.values()
                                       if isinstance(v, dict | list))
    if isinstance(node, list):
        return any(_find_dplist(v, depth + 1) for v in node[:50])
    return False


def is_named_voting(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("voting"), list) and any(
        isinstance(v, dict) and "namedVoting" in v for v in document["voting"]
    )


def _votes(node: Any, ctx: _Context, depth: int, found: list[tuple[dict[str, Any], _Context]]
           ) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for value in node:
            _votes(value, ctx, depth + 1, found)
        return
    if not isinstance(node, dict):
        return
    org = optional_text(node.get("OrgName")) or ctx.org
    label = optional_text(node.get("SName")) or optional_text(node.get("sessionName"))
    ctx = replace(ctx, org=org, session_label=label or ctx.session_label)
    if "DPList" in node:
        found.append((node, ctx))
        return
    item_title = optional_text(_first(node, _ITEM_TITLE_KEYS))
    item_number = optional_text(_first(node, _ITEM_NUMBER_KEYS))
    if item_title or item_number:
        ctx = replace(ctx, item_title=item_title, item_number=item_number)
    for value in node.values():
        if isinstance(value, dict | list):
            _votes(value, ctx, depth + 1, found)


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


class _Builder:
    """Turns votes into records, keeping one session, convocation and item per key."""

    def __init__(self, kind: str) -> None:
        self.out = ParsedFile(kind=kind, rank=Rank.EVENTS)
        self.problems = ProblemList()
        self._sessions: dict[str, ParsedSession] = {}
        self._items: dict[str, ParsedItem] = {}
        self._convocations: dict[str, ParsedConvocation] = {}

    def session_key(self, ctx: _Context, moment: datetime, where: str) -> str:
        day = moment.astimezone(council_zone()).date()
        org = fold(ctx.org)
        key = f"ev:{org}|{day.isoformat()}"
        if key not in self._sessions:
            convocation_key = None
            match = _CONVOCATION.search(ctx.session_label)
            if match:
                label = f"{match.group(1)} скликання"
                convocation_key = f"ev:{org}|{fold(label)}"
                self._convocations.setdefault(convocation_key, ParsedConvocation(
                    convocation_key, label, authority_name=ctx.org or None))
            self._sessions[key] = ParsedSession(
                key, ctx.session_label or "Пленарне засідання", day, day, convocation_key, where)
        return key

    def item_key(self, ctx: _Context, session_key: str) -> str | None:
        if ctx.item_title is None and ctx.item_number is None:
            return None
        key = f"{session_key}|{ctx.item_number or ''}|{_hash(fold(ctx.item_title or ''))}"
        self._items.setdefault(key, ParsedItem(key, session_key, ctx.item_title or "",
                                               ctx.item_number))
        return key

    def skip_signal(self, title: str, where: str) -> bool:
        if fold(title).startswith("сигнальн"):
            self.out.skipped.append(Issue("votes.skip.signal", {"title": title[:80]}, where))
            return True
        return False

    def finish(self) -> ParsedFile:
        self.problems.raise_any()
        self.out.sessions = list(self._sessions.values())
        self.out.items = list(self._items.values())
        self.out.convocations = list(self._convocations.values())
        if not self.out.events and not self.out.skipped:
            raise ImportProblem("votes.error.no_rows")
        return self.out


def _moment(vote: dict[str, Any], key: str) -> datetime:
    raw = vote.get(key)
    try:
        moment = parse_moment(raw)
    except ValueError:
        raise ImportProblem("votes.error.bad_date", field=key, value=str(raw)) from None
    if moment is None:
        raise ImportProblem("votes.error.missing_value", field=key)
    return moment


def _count(vote: dict[str, Any], key: str) -> int | None:
    try:
        return count_value(vote.get(key))
    except ValueError:
        raise ImportProblem("votes.error.bad_count", field=key, value=str(vote.get(key))) from None


def _rada_counts(vote: dict[str, Any], seats: int) -> Counts:
    yes, no, abstain, not_voting = (_count(vote, k) for k in ("YESCnt", "NOCnt", "UTRCnt",
                                                               "NGCnt"))
    total = _count(vote, "TotalCnt")
    parts = (yes, no, abstain, not_voting)
    if total is not None and all(p is not None for p in parts) and sum(
        p or 0 for p in parts
    ) != total:
        raise ImportProblem("votes.error.counts_contradict", total=total,
                            sum=sum(p or 0 for p in parts))
    if total is not None and total > seats:
        raise ImportProblem("votes.error.counts_exceed", total=total, seats=seats)
    return Counts(yes, no, abstain, not_voting, None if total is None else seats - total)


def _roll(rows: Any, prefix: str, problems: ProblemList) -> tuple[RollRow, ...]:
    """The `DPList` rows; the common case (two string keys per row) in one sweep."""
    if not isinstance(rows, list):
        raise ImportProblem("votes.error.json_shape")
    place = f"{prefix}DPList item"
    try:
        raws = [entry["DPGolos"] for entry in rows]
        names = [entry.get("DPName") for entry in rows]
        plain = bool(rows) and (
            set(map(len, rows)) == {2} and set(map(type, raws)) == {str}
            and set(map(type, names)) == {str} and max(map(len, raws)) <= 40
            and max(map(len, names)) <= 200)
        values = [vote_code(raw) for raw in raws] if plain else []
    except (TypeError, KeyError, AttributeError, ValueError):
        plain = False
    if plain:
        return tuple(map(RollRow, repeat(place), count(1), names, repeat(None), values, raws))
    return _roll_one_by_one(rows, place, problems)


def _roll_one_by_one(rows: list[Any], place: str, problems: ProblemList
                     ) -> tuple[RollRow, ...]:
    result: list[RollRow] = []
    for n, entry in enumerate(rows, 1):
        if not isinstance(entry, dict) or "DPGolos" not in entry:
            problems.add(ImportProblem("votes.error.missing_value", field="DPGolos",
                                       where=f"{place} {n}"))
            continue
        raw = "" if entry["DPGolos"] is None else str(entry["DPGolos"])
        try:
            value = vote_code(raw)
        except ValueError:
            problems.add(ImportProblem("votes.error.bad_vote", value=raw, where=f"{place} {n}"))
            continue
        name = entry.get("DPName")
        code = entry.get("DPId") or entry.get("DPCode")
        result.append(RollRow(place, n, None if name is None else str(name)[:200],
                              None if code is None else optional_text(code), value, raw[:40]))
    return tuple(result)


def _rada_vote(b: _Builder, vote: dict[str, Any], ctx: _Context, where: str) -> None:
    prefix = f"{where}, " if where else ""
    moment = _moment(vote, "GLTime")
    own_item = optional_text(_first(vote, _ITEM_TITLE_KEYS))
    title = optional_text(_first(vote, _TITLE_KEYS)) or own_item or ctx.item_title
    if title is None:
        raise ImportProblem("votes.error.missing_value", field="GL_Text")
    if b.skip_signal(title, where or "GL_Text"):
        return
    raw_result = _first(vote, ("RESULT", "Result", "result"))
    try:
        result = decision_result(None if raw_result is None else str(raw_result))
    except ValueError:
        raise ImportProblem("votes.error.bad_result", field="RESULT", value=str(raw_result)
                            ) from None
    roll = _roll(vote.get("DPList"), prefix, b.problems)
    counts = _rada_counts(vote, len(vote.get("DPList") or []))
    session_key = b.session_key(ctx, moment, where)
    org = fold(ctx.org)
    item_title = own_item if own_item and own_item != title else ctx.item_title
    b.out.events.append(ParsedEvent(
        key=f"ev:{org}|{moment.isoformat()}|{_hash(fold(title))}", where=where or "GLTime",
        title=title, session_key=session_key, item_key=b.item_key(ctx, session_key),
        item_title=item_title if item_title != title else None,
        item_number=optional_text(_first(vote, _ITEM_NUMBER_KEYS)) or ctx.item_number,
        held_on=moment.astimezone(council_zone()).date(), started_at=moment,
        sequence=seconds_of_day(moment), result=result,
        result_raw=None if raw_result is None else clean_text(raw_result) or str(raw_result),
        counts=counts, roll=roll,
    ))


def parse_rada(document: Any) -> ParsedFile:
    found: list[tuple[dict[str, Any], _Context]] = []
    _votes(document, _Context(), 0, found)
    b = _Builder("evoting-vote" if len(found) == 1 else "evoting-session")
    for n, (vote, ctx) in enumerate(found, 1):
        where = "" if len(found) == 1 else f"vote {n}"
        try:
            _rada_vote(b, vote, ctx, where)
        except ImportProblem as problem:
            b.problems.add(problem.at(where or "GLTime"))
    return b.finish()


def parse_named_voting(document: dict[str, Any]) -> ParsedFile:
    """OPORA's session file: `{sessionDate, sessionName, voting: [{voteName, voteTimestamp,
    namedVoting: [{"1016": "ЗА"}, …]}]}`; deputies are voting-system ids, no result given."""
    b = _Builder("evoting-named-session")
    ctx = _Context(org=optional_text(document.get("OrgName")) or "",
                   session_label=optional_text(document.get("sessionName")) or "")
    for n, vote in enumerate(document["voting"], 1):
        where = f"vote {n}"
        try:
            if not isinstance(vote, dict):
                raise ImportProblem("votes.error.json_shape")
            moment = _moment(vote, "voteTimestamp")
            title = _TRAILING_MOMENT.sub("", optional_text(vote.get("voteName")) or "")
            if not title:
                raise ImportProblem("votes.error.missing_value", field="voteName")
            if b.skip_signal(title, where):
                continue
            rows: list[RollRow] = []
            place = f"{where}, namedVoting item"
            for i, entry in enumerate(vote.get("namedVoting") or [], 1):
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise ImportProblem("votes.error.json_shape", where=f"{place} {i}")
                ((voter_id, raw),) = entry.items()
                try:
                    rows.append(RollRow(place, i, None, clean_text(voter_id),
                                        vote_code(str(raw)), str(raw)))
                except ValueError:
                    b.problems.add(ImportProblem("votes.error.bad_vote", value=str(raw),
                                                 where=f"{place} {i}"))
            session_key = b.session_key(ctx, moment, where)
            b.out.events.append(ParsedEvent(
                key=f"ev:{fold(ctx.org)}|{moment.isoformat()}|{_hash(fold(title))}",
                where=where, title=title, session_key=session_key,
                held_on=moment.astimezone(council_zone()).date(), started_at=moment,
                sequence=seconds_of_day(moment), roll=tuple(rows),
            ))
        except ImportProblem as problem:
            b.problems.add(problem.at(where))
    return b.finish()
