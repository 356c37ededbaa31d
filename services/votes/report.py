"""What an import tells staff: per file, what was imported, skipped or refused, and why.

Every line is a message key of `locales/*/votes.po` with its parameters, so the same report
prints in the shell and will be shown in chat in the staff member's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.i18n import Texts

# At most this many problems are listed per file; the rest are counted in one line.
MAX_LISTED = 12


class ImportProblem(Exception):
    """A reason to refuse a file (or a row of it): a message key, parameters, a place."""

    def __init__(self, key: str, *, where: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.where = where
        self.params = params

    def at(self, where: str) -> ImportProblem:
        if self.where is None:
            self.where = where
        return self


class ImportProblems(Exception):
    """Several reasons to refuse one file (each row that is wrong, up to a limit)."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


class ProblemList:
    """Collects row problems while a parser goes on, so staff see them all at once."""

    def __init__(self, limit: int = 50) -> None:
        self.items: list[ImportProblem] = []
        self.limit = limit
        self._once: set[object] = set()

    def add(self, problem: ImportProblem, *, once: object = None) -> None:
        """Note a problem; with `once`, only the first problem of that key is kept (an
        unknown name is reported once, not on each of the votes it appears in)."""
        if once is not None:
            if once in self._once:
                return
            self._once.add(once)
        self.items.append(problem)
        if len(self.items) >= self.limit:
            raise ImportProblems(self.items)

    def raise_any(self) -> None:
        if self.items:
            raise ImportProblems(self.items)


@dataclass(frozen=True, slots=True)
class Issue:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    where: str | None = None  # "row 12", "line 9, column 151", "DPList item 4"

    @classmethod
    def of(cls, problem: ImportProblem) -> Issue:
        return cls(problem.key, dict(problem.params), problem.where)


class FileStatus(StrEnum):
    IMPORTED = "imported"  # something was added or changed
    UNCHANGED = "unchanged"  # everything in it was already there: nothing to do
    REJECTED = "rejected"  # nothing of it was imported


@dataclass(frozen=True, slots=True)
class Changes:
    deputies_new: int = 0
    deputies_updated: int = 0
    convocations_new: int = 0
    sessions_new: int = 0
    items_new: int = 0
    votes_new: int = 0
    votes_updated: int = 0
    votes_unchanged: int = 0
    votes_flagged: int = 0
    votes_skipped: int = 0
    rolls_attached: int = 0
    roll_rows: int = 0

    def __add__(self, other: Changes) -> Changes:
        return Changes(*(getattr(self, f) + getattr(other, f) for f in self.__slots__))

    @property
    def changed(self) -> bool:
        return bool(self.deputies_new or self.deputies_updated or self.convocations_new
                    or self.sessions_new
                    or self.items_new or self.votes_new or self.votes_updated
                    or self.rolls_attached)


@dataclass(frozen=True, slots=True)
class FileReport:
    name: str  # the file name, or "archive.zip/member.json" for a member of a ZIP
    status: FileStatus
    kind: str | None = None  # the format recognised, e.g. "evoting-vote", "annex29-votings"
    encoding: str | None = None
    changes: Changes = Changes()
    issues: tuple[Issue, ...] = ()  # the reasons when rejected, warnings otherwise
    new_deputies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportReport:
    files: tuple[FileReport, ...]

    @property
    def imported(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.status == FileStatus.IMPORTED)

    @property
    def unchanged(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.status == FileStatus.UNCHANGED)

    @property
    def rejected(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.status == FileStatus.REJECTED)

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def totals(self) -> Changes:
        total = Changes()
        for f in self.files:
            if f.status != FileStatus.REJECTED:
                total = total + f.changes
        return total


_PLACE_WORDS = re.compile(r"\b(row|line|column|record|vote|item)(?= \d)")


def render_where(tr: Texts, where: str) -> str:
    """ "row 5", "vote 2, DPList item 3": the place words in the reader's language."""
    return _PLACE_WORDS.sub(lambda m: tr(f"votes.where.{m.group(1)}"), where)


def render_issue(tr: Texts, issue: Issue) -> str:
    text = tr(issue.key, **issue.params)
    if not issue.where:
        return text
    return tr("votes.report.where", where=render_where(tr, issue.where), text=text)


# What an imported file's line tells, in this order (each only when not zero).
_PARTS = ("deputies_new", "deputies_updated", "convocations_new", "sessions_new", "items_new",
          "votes_new", "votes_updated", "rolls_attached", "roll_rows", "votes_unchanged",
          "votes_skipped")


def render_file(tr: Texts, report: FileReport) -> list[str]:
    """The lines about one file: its status line, then its issues indented."""
    c = report.changes
    if report.status == FileStatus.REJECTED:
        head = tr("votes.report.rejected", name=report.name)
    elif report.status == FileStatus.UNCHANGED:
        head = tr("votes.report.unchanged", name=report.name)
    else:
        parts = [tr(f"votes.report.part.{name}", n=getattr(c, name)) for name in _PARTS
                 if getattr(c, name)]
        head = tr("votes.report.imported", name=report.name, parts="; ".join(parts))
    lines = [head]
    if report.new_deputies:
        lines.append("  " + tr("votes.report.new_deputies",
                               names=", ".join(report.new_deputies[:MAX_LISTED]),
                               count=len(report.new_deputies)))
    if c.votes_flagged and report.status != FileStatus.REJECTED:
        lines.append("  " + tr("votes.report.flagged", count=c.votes_flagged))
    for issue in report.issues[:MAX_LISTED]:
        lines.append("  " + render_issue(tr, issue))
    if len(report.issues) > MAX_LISTED:
        lines.append("  " + tr("votes.report.more", count=len(report.issues) - MAX_LISTED))
    return lines


def render_report(tr: Texts, report: ImportReport) -> list[str]:
    lines = [line for f in report.files for line in render_file(tr, f)]
    t = report.totals
    lines.append(tr("votes.report.summary", imported=len(report.imported),
                    unchanged=len(report.unchanged), rejected=len(report.rejected),
                    votes=t.votes_new + t.votes_updated, rows=t.roll_rows))
    return lines
