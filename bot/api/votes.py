"""Open data: the published votes as JSON and CSV on the web app, for journalists and the
council's own site (`GET /api/v1/votes/...`). Only published sessions are served; anything
else, like an id no row can have, is a 404. Read-only, public, cacheable, open to any origin.

    /api/v1/votes/sessions[.csv]?page=N             published sessions, newest first
    /api/v1/votes/sessions/{id}[.csv]?page=N        a session's decisions, in vote order
    /api/v1/votes/decisions/{id}[.csv]              a decision: counts, factions, roll call
    /api/v1/votes/deputies/{id}/votes[.csv]?page=N  a deputy's votes, newest first
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.errors import NotFound
from services.ids import parse_row_id
from services.votes import publishing, queries, stats
from services.votes.views import Page

PREFIX = "/api/v1/votes"
PAGE_SIZE = 200
MAX_PAGE = 100_000
SESSIONMAKER = web.AppKey("votes_api_sessionmaker", async_sessionmaker)
HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}


@dataclass(frozen=True, slots=True)
class Table:
    """What an endpoint answers: a JSON document, and the rows of its CSV form."""

    document: dict[str, Any]
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    name: str


Build = Callable[[AsyncSession, web.Request], Awaitable[Table]]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # the enums: their published names
        return value.value
    return value


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "0")
    if not raw.isdigit() or int(raw) > MAX_PAGE:
        raise web.HTTPBadRequest(text="page must be a number from 0")
    return int(raw)


def _id(request: web.Request) -> int:
    found = parse_row_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


def _paging(page: Page[Any]) -> dict[str, int]:
    return {"page": page.page, "pages": page.pages, "total": page.total}


async def sessions(db: AsyncSession, request: web.Request) -> Table:
    page = await queries.latest_sessions(db, page=_page(request), page_size=PAGE_SIZE)
    columns = ("id", "label", "date_from", "date_until", "votes", "adopted")
    rows = [(s.id, s.label, s.date_from, s.date_until, s.votes, s.adopted) for s in page.items]
    return Table({"sessions": [dict(zip(columns, map(_plain, r), strict=True)) for r in rows],
                  **_paging(page)}, columns, rows, "sessions")


_DECISION_COLUMNS = ("id", "title", "held_on", "started_at", "result", "for", "against")


async def session(db: AsyncSession, request: web.Request) -> Table:
    state = await publishing.session_state(db, _id(request))
    if not state.published:
        raise NotFound()
    page = await queries.session_decisions(db, state.id, page=_page(request),
                                           page_size=PAGE_SIZE)
    rows = [(d.id, d.title, d.held_on, d.started_at, d.result, d.for_, d.against)
            for d in page.items]
    return Table({"session": {"id": state.id, "label": state.label,
                              "date_from": _plain(state.date_from),
                              "date_until": _plain(state.date_until),
                              "published_at": _plain(state.published_at), "votes": state.votes},
                  "decisions": [dict(zip(_DECISION_COLUMNS, map(_plain, r), strict=True))
                                for r in rows], **_paging(page)},
                 _DECISION_COLUMNS, rows, f"session-{state.id}")


async def decision(db: AsyncSession, request: web.Request) -> Table:
    card = await queries.decision_card(db, _id(request))
    c = card.counts
    counts = {"for": c.for_, "against": c.against, "abstain": c.abstain,
              "not_voting": c.not_voting, "absent": c.absent}
    roll = [(d.id, d.name, d.faction, g.value.value) for g in card.groups for d in g.deputies]
    document = {
        "id": card.id, "title": card.title, "item_title": card.item_title,
        "item_number": card.item_number, "project_number": card.project_number,
        "session": {"id": card.session_id, "label": card.session_label},
        "held_on": _plain(card.held_on), "started_at": _plain(card.started_at),
        "result": _plain(card.result), "result_as_published": card.result_raw,
        "counts": counts, "counts_published": card.counts_published,
        "unnamed_seats": {g.value.value: g.unnamed for g in card.groups if g.unnamed},
        "factions": [{"name": f.name, "unaffiliated": f.unaffiliated,
                      "for": f.counts.for_, "against": f.counts.against,
                      "abstain": f.counts.abstain, "not_voting": f.counts.not_voting,
                      "absent": f.counts.absent} for f in card.factions],
        "votes": [{"deputy_id": r[0], "name": r[1], "faction": r[2], "vote": r[3]}
                  for r in roll],
        "source_url": card.source_url, "source_file": card.source_file,
    }
    return Table(document, ("deputy_id", "name", "faction", "vote"), roll,
                 f"decision-{card.id}")


async def deputy_votes(db: AsyncSession, request: web.Request) -> Table:
    deputy = await queries.deputy_of(db, _id(request))
    page = await stats.deputy_votes(db, deputy.id, page=_page(request), page_size=PAGE_SIZE)
    columns = ("decision_id", "title", "held_on", "vote", "result")
    rows = [(v.event_id, v.title, v.held_on, v.value, v.result) for v in page.items]
    return Table({"deputy": {"id": deputy.id, "name": deputy.name, "faction": deputy.faction,
                             "district": deputy.district},
                  "votes": [dict(zip(columns, map(_plain, r), strict=True)) for r in rows],
                  **_paging(page)}, columns, rows, f"deputy-{deputy.id}-votes")


def _csv(table: Table) -> web.Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    writer.writerows([_plain(v) for v in row] for row in table.rows)
    # With a BOM, so a spreadsheet opened by double-click reads the Cyrillic right.
    return web.Response(body=buffer.getvalue().encode("utf-8-sig"), headers={
        **HEADERS, "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{table.name}.csv"'})


def _endpoint(build: Build, as_csv: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        async with request.app[SESSIONMAKER]() as db:
            try:
                table = await build(db, request)
            except NotFound:
                raise web.HTTPNotFound() from None
        if as_csv:
            return _csv(table)
        return web.json_response(table.document, headers=HEADERS,
                                 dumps=lambda d: json.dumps(d, ensure_ascii=False))

    return handle


ROUTES: tuple[tuple[str, Build], ...] = (
    ("/sessions", sessions),
    (r"/sessions/{id:\d+}", session),
    (r"/decisions/{id:\d+}", decision),
    (r"/deputies/{id:\d+}/votes", deputy_votes),
)


def register(app: web.Application, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Add the open-data routes to the web app (one line in bot/webhook.py)."""
    app[SESSIONMAKER] = sessionmaker
    for path, build in ROUTES:
        app.router.add_get(PREFIX + path, _endpoint(build, as_csv=False))
        app.router.add_get(PREFIX + path + ".csv", _endpoint(build, as_csv=True))
