"""The import service: files (bytes + name) in, an `ImportReport` out.

    report = await import_files(session, actor, [UploadedFile(name, data)], limits=...,
                                options=ImportOptions(...))

Each uploaded file is all-or-nothing: it is parsed completely, checked against what is
stored, and written inside its own savepoint, so a refused file leaves nothing behind. A ZIP
is one file unless `ImportOptions.partial_zip` is set, when each member stands alone.
Re-importing what is already stored changes nothing and says so. The caller commits.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import is_postgres
from services.votes.access import Actor, require_staff
from services.votes.archive import UploadedFile, check_size, is_zip, unpack
from services.votes.decoding import decode
from services.votes.deputies_import import apply_deputies
from services.votes.formats import parse, spreadsheet_kind
from services.votes.formats.records import ParsedFile, Rank
from services.votes.report import (
    Changes,
    FileReport,
    FileStatus,
    ImportProblem,
    ImportProblems,
    ImportReport,
    Issue,
)
from services.votes.resolve import DeputyDirectory
from services.votes.rolls import apply_roll_file
from services.votes.rules import VotesLimits
from services.votes.store import EventStore


@dataclass(frozen=True, slots=True)
class ImportOptions:
    # Create a deputy for a roll-call name that matches nobody (e.g. before any Annex 30
    # list was imported); otherwise such a file is refused, naming the unknown names.
    add_unknown_deputies: bool = False
    # Import a ZIP's good members even when some are refused (each member all-or-nothing).
    partial_zip: bool = False
    # Accept raw line breaks and control characters inside JSON strings, as some published
    # e-voting files have; otherwise such a file is refused as invalid JSON.
    lenient_json: bool = False


@dataclass(slots=True)
class _Member:
    name: str
    parsed: ParsedFile | None = None
    encoding: str | None = None
    issues: list[Issue] = field(default_factory=list)


@dataclass(slots=True)
class _Upload:
    index: int
    name: str
    members: list[_Member]
    is_zip: bool = False
    rejected: FileReport | None = None

    @property
    def rank(self) -> int:
        ranks = [m.parsed.rank for m in self.members if m.parsed is not None]
        return min(ranks) if ranks else Rank.DEPUTIES


@contextmanager
def _bulk_work() -> Iterator[None]:
    """No automatic garbage collection while a file is parsed and written.

    An upload builds hundreds of thousands of small tuples and dicts that live until they are
    written; the collector would walk all of them again and again (a third of the import's
    time). They form no cycles, so nothing is lost by waiting: collection resumes, and catches
    up, as soon as the file is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _issues(exc: ImportProblem | ImportProblems) -> list[Issue]:
    problems = exc.problems if isinstance(exc, ImportProblems) else [exc]
    return [Issue.of(p) for p in problems]


def _read(name: str, data: bytes, options: ImportOptions) -> _Member:
    member = _Member(name)
    try:
        kind = spreadsheet_kind(name, data)
        if kind is not None:
            raise ImportProblem("votes.error.spreadsheet", kind=kind)
        if data[:4] == b"PK\x03\x04":
            raise ImportProblem("votes.error.nested_zip")
        decoded = decode(data)
        member.encoding = decoded.encoding
        member.parsed = parse(decoded, lenient_json=options.lenient_json)
    except (ImportProblem, ImportProblems) as exc:
        member.issues = _issues(exc)
    return member


def _prepare(index: int, upload: UploadedFile, limits: VotesLimits,
             options: ImportOptions) -> _Upload:
    """Parse an upload without touching the database."""
    try:
        check_size(upload, limits)
        if spreadsheet_kind(upload.name, upload.data) is None and is_zip(upload):
            members = [_read(f"{upload.name}/{m.name}", m.data, options)
                       for m in unpack(upload, limits)]
            if not members:
                raise ImportProblem("votes.error.empty")
            return _Upload(index, upload.name, members, is_zip=True)
    except (ImportProblem, ImportProblems) as exc:
        return _Upload(index, upload.name, [], rejected=FileReport(
            upload.name, FileStatus.REJECTED, issues=tuple(_issues(exc))))
    return _Upload(index, upload.name, [_read(upload.name, upload.data, options)])


def _rejected(member: _Member, issues: list[Issue] | None = None) -> FileReport:
    return FileReport(member.name, FileStatus.REJECTED,
                      member.parsed.kind if member.parsed else None, member.encoding,
                      issues=tuple(issues if issues is not None else member.issues))


def _zip_rejected(upload: _Upload, failed: list[tuple[_Member, list[Issue]]]) -> FileReport:
    prefix = len(upload.name) + 1
    issues = [Issue(i.key, i.params, f"{m.name[prefix:]}: {i.where}" if i.where
                    else m.name[prefix:]) for m, found in failed for i in found]
    issues.append(Issue("votes.error.zip_not_imported",
                        {"count": len(upload.members), "failed": len(failed)}))
    return FileReport(upload.name, FileStatus.REJECTED, "zip", issues=tuple(issues))


class _Run:
    """One import call: the caches, and the savepoint per file."""

    def __init__(self, db: AsyncSession, options: ImportOptions) -> None:
        self.db = db
        self.options = options
        self.store: EventStore | None = None

    async def _fresh(self) -> EventStore:
        self.store = EventStore(self.db, await DeputyDirectory.load(self.db))
        return self.store

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """A savepoint; on failure the caches are dropped with what it wrote."""
        if not is_postgres(self.db):
            # pysqlite opens a transaction only at the first write, so a first SAVEPOINT
            # would be the outermost and its release a commit: open one ourselves.
            raw = (await (await self.db.connection()).get_raw_connection()).driver_connection
            if raw is not None and not raw.in_transaction:
                await self.db.execute(text("BEGIN"))
        try:
            async with self.db.begin_nested():
                yield
                if self.store is not None:
                    await self.store.flush()
        except BaseException:
            self.store = None
            raise

    async def member(self, member: _Member) -> FileReport:
        parsed = member.parsed
        assert parsed is not None
        store = self.store or await self._fresh()
        create = self.options.add_unknown_deputies
        changes: Changes
        new_deputies: list[str] = []
        if parsed.rank == Rank.DEPUTIES:
            await store.flush()
            outcome = await apply_deputies(self.db, store.directory, parsed)
            changes = Changes(deputies_new=outcome.new, deputies_updated=outcome.updated)
            store.directory = await DeputyDirectory.load(self.db)
        elif parsed.rank == Rank.ROLLS:
            await store.flush()
            updated, unchanged, flagged, rows, new_deputies = await apply_roll_file(
                self.db, store.directory, parsed, create_deputies=create)
            changes = Changes(rolls_attached=updated, votes_unchanged=unchanged,
                              votes_flagged=flagged, roll_rows=rows,
                              deputies_new=len(new_deputies))
        else:
            o = await store.apply(parsed, member.name, create_deputies=create)
            new_deputies = o.new_deputies
            changes = Changes(convocations_new=o.convocations_new, sessions_new=o.sessions_new,
                              items_new=o.items_new,
                              votes_new=o.votes_new, votes_updated=o.votes_updated,
                              votes_unchanged=o.votes_unchanged, votes_flagged=o.votes_flagged,
                              votes_skipped=len(parsed.skipped), roll_rows=o.roll_rows,
                              deputies_new=len(new_deputies))
        status = FileStatus.IMPORTED if changes.changed else FileStatus.UNCHANGED
        return FileReport(member.name, status, parsed.kind, member.encoding, changes,
                          tuple(parsed.skipped), tuple(new_deputies))

    async def upload(self, upload: _Upload) -> list[FileReport]:
        if upload.rejected is not None:
            return [upload.rejected]
        members = sorted(upload.members, key=lambda m: m.parsed.rank if m.parsed else 0)
        if upload.is_zip and not self.options.partial_zip:
            failed = [(m, m.issues) for m in members if m.parsed is None]
            if failed:
                return [_zip_rejected(upload, failed)]
            reports: list[FileReport] = []
            current: _Member | None = None
            try:
                async with self.unit():
                    for current in members:
                        reports.append(await self.member(current))
            except (ImportProblem, ImportProblems) as exc:
                assert current is not None
                return [_zip_rejected(upload, [(current, _issues(exc))])]
            return reports
        reports = []
        for member in members:
            if member.parsed is None:
                reports.append(_rejected(member))
                continue
            try:
                async with self.unit():
                    reports.append(await self.member(member))
            except (ImportProblem, ImportProblems) as exc:
                reports.append(_rejected(member, _issues(exc)))
        return reports


async def import_files(
    session: AsyncSession,
    actor: Actor,
    files: Sequence[UploadedFile],
    *,
    limits: VotesLimits = VotesLimits(),
    options: ImportOptions = ImportOptions(),
) -> ImportReport:
    """Import vote files for staff; raises PermissionDenied for anyone else."""
    await require_staff(session, actor)
    with _bulk_work():
        uploads = [_prepare(i, f, limits, options) for i, f in enumerate(files)]
    run = _Run(session, options)
    by_upload: dict[int, list[FileReport]] = {}
    for upload in sorted(uploads, key=lambda u: (u.rank, u.index)):
        with _bulk_work():
            by_upload[upload.index] = await run.upload(upload)
    reports = tuple(r for i in range(len(uploads)) for r in by_upload[i])
    for upload in uploads:
        mine = by_upload[upload.index]
        total = Changes()
        for r in mine:
            total = total + r.changes
        await audit.record(
            session, actor.key, "votes.import", "file", upload.name[-64:],
            status=",".join(sorted({r.status.value for r in mine})),
            votes_new=total.votes_new, votes_updated=total.votes_updated,
            rows=total.roll_rows, deputies_new=total.deputies_new,
        )
    return ImportReport(reports)


async def import_file(session: AsyncSession, actor: Actor, name: str, data: bytes, *,
                      limits: VotesLimits = VotesLimits(),
                      options: ImportOptions = ImportOptions()) -> ImportReport:
    """One uploaded document (what a chat handler receives)."""
    return await import_files(session, actor, [UploadedFile(name, data)], limits=limits,
                              options=options)
