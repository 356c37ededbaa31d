"""What a process keeps of the polls it has read, on a SQLite file: the part of a poll that
stays with its version, so a first answer needs no read of the poll (`answers.answer_known`)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from services.polls.models import Poll
from services.sqlite_inline import writer_for
from services.timeutil import as_utc

__all__ = ["Known", "Option", "recalled", "remember"]


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a poll, as its card shows it."""

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class Known:
    """What stays true of a poll while its version stands: an edit of the question or the
    options makes a new version, and nothing changes the districts or the choices allowed."""

    created_at: datetime  # with the id: the same poll (SQLite may reuse a deleted poll's id)
    options: tuple[Option, ...]
    districts: frozenset[str]
    max_choices: int


_KNOWN_MAX = 256  # polls x versions; a council runs a handful at a time
# Per SQLite file (each has its own ids), where a first answer can be written without a read.
_known: weakref.WeakKeyDictionary[Engine, dict[tuple[int, int], Known]] = (
    weakref.WeakKeyDictionary())


def remember(session: AsyncSession, poll: Poll, options: tuple[Option, ...]) -> None:
    """Keep what stays with this version of a poll just read (on a SQLite file only)."""
    engine = session.get_bind().engine
    if writer_for(engine) is None:
        return
    known = _known.get(engine)
    if known is None:
        known = _known[engine] = {}
    elif len(known) >= _KNOWN_MAX:
        known.clear()
    known[(poll.id, poll.version)] = Known(as_utc(poll.created_at), options,
                                            frozenset(poll.districts or ()), poll.max_choices)


def recalled(session: AsyncSession, poll_id: int, version: int) -> Known | None:
    """What this process read of the poll at that version on the session's file, if it did."""
    return _known.get(session.get_bind().engine, {}).get((poll_id, version))
