"""Open data on the web app (bot/api/votes.py): the published votes as JSON and CSV, over real
HTTP on loopback; unpublished sessions, missing ids and ids past the range are 404."""

from __future__ import annotations

import csv
import io

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.api import votes as votes_api
from bot.app import Runtime
from bot.channels.telegram.webhook import build_web_app
from services.votes.models import VoteEvent, VoteSession
from tests.votes_bot_support import V2, import_council, import_council_into


@pytest.fixture
async def api(sessionmaker):
    app = web.Application()
    votes_api.register(app, sessionmaker)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_sessions_decisions_a_decision_and_a_deputys_votes_as_json(api, sessionmaker):
    world = await import_council_into(sessionmaker)
    response = await api.get("/api/v1/votes/sessions")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = await response.json()
    assert body["total"] == 1 and body["sessions"][0]["votes"] == 4
    assert body["sessions"][0]["adopted"] == 2 and body["sessions"][0]["date_from"] == "2024-09-04"

    session_id = world["session"]
    body = await (await api.get(f"/api/v1/votes/sessions/{session_id}")).json()
    assert [d["result"] for d in body["decisions"]] == ["adopted", "not_adopted", "adopted",
                                                         "not_adopted"]
    assert body["session"]["published_at"] is not None

    body = await (await api.get(f"/api/v1/votes/decisions/{world['events']['V2']}")).json()
    assert body["title"] == V2 and body["result"] == "not_adopted"
    assert body["result_as_published"] == "Не прийнято"
    assert body["counts"] == {"for": 3, "against": 3, "abstain": 0, "not_voting": 0, "absent": 0}
    assert len(body["votes"]) == 6 and {v["vote"] for v in body["votes"]} == {"for", "against"}
    assert body["source_url"] == "https://rada.example.ua/docs/757-2.html"

    deputy = world["deputies"]["D2"]
    body = await (await api.get(f"/api/v1/votes/deputies/{deputy}/votes")).json()
    assert body["deputy"]["name"] == "Іваненко Петро Миколайович" and body["total"] == 4
    assert [v["vote"] for v in body["votes"]] == ["for", "not_voting", "against", "for"]


async def test_csv_forms_open_in_a_spreadsheet(api, sessionmaker):
    world = await import_council_into(sessionmaker)
    response = await api.get(f"/api/v1/votes/decisions/{world['events']['V1']}.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["deputy_id", "name", "faction", "vote"] and len(rows) == 1 + 6
    assert ["Коваленко Олена Петрівна", "Фракція «Світанок»", "for"] in [r[1:] for r in rows]
    sessions = list(csv.reader(io.StringIO(
        (await (await api.get("/api/v1/votes/sessions.csv")).read()).decode("utf-8-sig"))))
    assert sessions[0] == ["id", "label", "date_from", "date_until", "votes", "adopted"]
    assert sessions[1][4:] == ["4", "2"]


async def test_unpublished_missing_and_bad_ids_are_not_found(api, sessionmaker):
    world = await import_council_into(sessionmaker)
    async with sessionmaker() as session:
        event = await session.get(VoteEvent, world["events"]["V1"])
        assert event is not None
        hidden = VoteSession(source_key="hidden", label="Закрита", date_from=event.held_on,
                             date_until=event.held_on)
        session.add(hidden)
        await session.flush()
        secret = VoteEvent(source_key="hidden-1", session_id=hidden.id, title="Таємне",
                           held_on=event.held_on, source_file="x", content_hash="x")
        session.add(secret)
        await session.commit()
    for path in (f"/api/v1/votes/sessions/{hidden.id}", f"/api/v1/votes/decisions/{secret.id}",
                 f"/api/v1/votes/decisions/{secret.id}.csv", "/api/v1/votes/decisions/0",
                 "/api/v1/votes/decisions/99999999999999999999",
                 "/api/v1/votes/deputies/1000000000/votes", "/api/v1/votes/decisions/abc"):
        assert (await api.get(path)).status == 404, path
    listing = await (await api.get("/api/v1/votes/sessions")).json()
    assert [s["id"] for s in listing["sessions"]] == [world["session"]]
    assert (await api.get("/api/v1/votes/sessions?page=-1")).status == 400
    assert (await api.get("/api/v1/votes/sessions?page=x")).status == 400


async def test_the_web_app_serves_the_open_data(bot_app, engine):
    await import_council(bot_app)
    rt = Runtime(bot_app.settings, engine, bot_app.sessionmaker, bot_app.bot, bot_app.dp)
    async with TestClient(TestServer(build_web_app(rt, "secret"))) as client:
        response = await client.get("/api/v1/votes/sessions")
        assert response.status == 200 and (await response.json())["total"] == 1
