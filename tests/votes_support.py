"""Shared by the votes tests: where the samples are, and small helpers to import them."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.votes.access import Actor
from services.votes.archive import UploadedFile
from services.votes.importer import ImportOptions, import_files
from services.votes.models import Deputy, VoteCast, VoteEvent, VoteSession
from services.votes.report import ImportReport
from services.votes.rules import VotesLimits

ROOT = Path(__file__).resolve().parent.parent
# Real published files, byte-for-byte copies kept with the tests (origins in their SOURCES.md),
# so a clean clone anywhere runs them; HROMADA_VOTES_SAMPLES points at another copy.
REAL = Path(os.environ.get("HROMADA_VOTES_SAMPLES", ROOT / "tests" / "samples" / "votes" / "real"))
KYIV = REAL / "evoting-json" / "kyiv-rada4"
OWN = ROOT / "tests" / "samples" / "votes"
SHELL = Actor.shell("test")


def real(path: str) -> Path:
    found = REAL / path
    assert found.exists(), f"real sample missing: {found} (set HROMADA_VOTES_SAMPLES)"
    return found


def upload(path: Path, name: str | None = None) -> UploadedFile:
    return UploadedFile(name or path.name, path.read_bytes())


def zip_of(files: Iterable[UploadedFile], name: str = "day.zip") -> UploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.writestr(f.name, f.data)
    return UploadedFile(name, buffer.getvalue())


async def run_import(session: AsyncSession, files: list[UploadedFile], *,
                     actor: Actor = SHELL, limits: VotesLimits | None = None,
                     **options: Any) -> ImportReport:
    report = await import_files(session, actor, files, limits=limits or VotesLimits(),
                                options=ImportOptions(**options))
    await session.commit()
    return report


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table: what an import left behind."""
    result = {}
    for name, model in (("deputies", Deputy), ("sessions", VoteSession),
                        ("events", VoteEvent), ("casts", VoteCast)):
        result[name] = await session.scalar(select(func.count()).select_from(model)) or 0
    return result


def issue_keys(report: ImportReport) -> list[str]:
    return [i.key for f in report.files for i in f.issues]


def council_files() -> list[UploadedFile]:
    """Our fictional council: Annex 30 deputies, motions2 (cp1251) and votings."""
    return [upload(OWN / "council" / n) for n in ("deputies.csv", "motions2.csv", "votings.csv")]
