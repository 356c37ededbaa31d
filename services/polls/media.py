"""The results chart as stored media: drawn once per poll, kept in `poll_charts`, referred to
from outbox rows (and screens) as `poll-chart:<poll id>`.

A transport that meets such a reference in `OutboxMessage.photo` calls `resolve`: it gets
either a file id the channel gave for an earlier upload (send that), or the PNG bytes (upload
them, then `remember_upload` the file id the channel returns). So the picture is drawn once
and uploaded once per channel, however many residents receive it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, utcnow
from services.i18n import DEFAULT_LANGUAGE, get_translator
from services.polls import chart
from services.polls.models import PollChart
from services.polls.results import Results, chart_texts

PREFIX = "poll-chart:"


def reference(poll_id: int) -> str:
    return f"{PREFIX}{poll_id}"


def poll_of_reference(ref: str | None) -> int | None:
    """The poll id of a `poll-chart:<id>` reference; None for anything else (a file id)."""
    if not ref or not ref.startswith(PREFIX) or not ref[len(PREFIX):].isdigit():
        return None
    return int(ref[len(PREFIX):])


@dataclass(frozen=True, slots=True)
class StoredImage:
    filename: str
    png: bytes
    file_id: str | None  # the channel's id of an earlier upload, when there was one


def draw_results(results: Results, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The chart of a tally; its footer in `language` (the council's by default)."""
    title, labels, footer = chart_texts(get_translator().for_language(language), results)
    leaders = set(results.leaders)
    return chart.draw(title, labels, [line.count for line in results.lines],
                      [line.percent for line in results.lines], footer,
                      highlight=[line.option_id in leaders for line in results.lines])


async def ensure_chart(session: AsyncSession, results: Results) -> str:
    """Draw and store the chart unless it is stored already; returns its reference.

    Drawing runs in a worker thread (about a second of CPU); two schedulers drawing at once
    both insert-or-ignore, and the first stored picture is the one everybody gets.
    """
    exists = await session.scalar(select(PollChart.poll_id)
                                  .where(PollChart.poll_id == results.poll_id))
    if exists is None:
        png = await asyncio.to_thread(draw_results, results)
        await session.execute(
            insert_ignoring_conflicts(session, PollChart.__table__)
            .values(poll_id=results.poll_id, png=png, file_ids={}, drawn_at=utcnow())
        )
    return reference(results.poll_id)


async def resolve(session: AsyncSession, ref: str, channel: str) -> StoredImage | None:
    """What a transport sends for a `poll-chart:` reference on `channel`; None if not one."""
    poll_id = poll_of_reference(ref)
    if poll_id is None:
        return None
    row = await session.get(PollChart, poll_id)
    if row is None:
        return None
    file_id = (row.file_ids or {}).get(channel)
    return StoredImage(f"poll-{poll_id}-results.png", row.png, file_id)


async def remember_upload(session: AsyncSession, ref: str, channel: str, file_id: str) -> None:
    """Keep the channel's id of the uploaded picture, so later sends reuse it."""
    poll_id = poll_of_reference(ref)
    if poll_id is None:
        return
    row = await session.get(PollChart, poll_id)
    if row is None or (row.file_ids or {}).get(channel):
        return
    await session.execute(
        update(PollChart).where(PollChart.poll_id == poll_id)
        .values(file_ids={**(row.file_ids or {}), channel: file_id})
    )
