"""The feature registry (bot/features.py): what the dispatcher, the command lists, the settings
sections and the scheduler are built from, and that handlers and jobs get the same rules."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.dispatcher import feature_routers
from bot.features import FEATURES, build_sections, job_registry
from handlers.core import MainMenu
from handlers.kit.render_aiogram import inline_markup
from services import appeals, broadcasts, events, jobs, residents, roles
from services.appeals import AppealRules
from services.db import utcnow
from services.jobs import JobRegistry, Periodic
from services.models import OutboxMessage, Role
from services.models.appeals import Appeal
from services.petitions import PetitionRules
from services.timeutil import local_today
from tests.conftest import make_test_settings

ROOT = Path(__file__).resolve().parent.parent


def test_routers_keep_their_order_busiest_first_catch_alls_last():
    assert [r.name for r in feature_routers()] == [
        "common", "menu", "onboarding", "settings", "staff",
        "appeals", "appeals_admin", "petitions", "wizard-petition", "petitions_admin", "press",
        "subscriptions", "polls", "wizard-poll", "polls_admin", "votes", "votes_deputies",
        "votes_staff", "start", "menu-fallback",
        "fallback",
    ]


def test_the_main_menu_comes_from_the_features_entries():
    menu = MainMenu.of(f.menu for f in FEATURES if f.menu is not None)
    markup = inline_markup(menu.rows(str))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["m:appeals", "m:petitions"], ["m:polls", "m:votes"],
        ["m:subscriptions", "m:settings"], ["m:help"]]


def test_every_feature_has_a_unique_name_and_its_sections_build_from_the_settings():
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    sections = build_sections(make_test_settings("sqlite://", "http://x", None,
                                                 petition_threshold=7))
    assert sections.get(PetitionRules).threshold == 7
    assert set(sections.named()) >= {"appeal_rules", "petition_rules", "event_rules",
                                     "broadcast_rules", "profile_rules", "progress_tracking"}


async def test_handlers_and_jobs_share_the_sections_built_once(bot_app_factory):
    app = await bot_app_factory(appeal_departments="water,parks")
    rules = app.dp["appeal_rules"]
    assert rules.departments == ("water", "parks")
    assert app.jobs.sections.get(AppealRules) is rules
    assert app.dp["sections"].get(PetitionRules) is app.dp["petition_rules"]


async def test_a_configured_department_list_reaches_the_digest_job(bot_app_factory):
    """The daily digest runs with the council's rules, not AppealRules() defaults: here a
    seven-day window and the departments of the settings."""
    app = await bot_app_factory(appeal_departments="water,parks", appeal_due_soon_days=7)
    registry = app.jobs
    digest = registry.periodic["appeals.digest"]
    seen: list[AppealRules] = []

    async def observed(ctx: jobs.JobContext) -> None:
        seen.append(ctx.section(AppealRules))
        await digest.handler(ctx)  # the real job

    once = JobRegistry([Periodic(digest.name, lambda _now: "today", observed)],
                       registry.sections)
    async with app.sessionmaker() as session:
        await roles.grant(session, "config", "telegram", "900", Role.MODERATOR)
        author = await residents.give_consent(session, channel="telegram", external_id="1",
                                              chat_id="1", language="uk")
        author.phone, author.phone_verified_at = "+380500000001", utcnow()
        author.full_name, author.street, author.building = "Іван Петренко", "Соборна", "1"
        appeal = await appeals.register(session, app.dp["appeal_rules"], author,
                                        kind="complaint", category="roads",
                                        text="Яма на дорозі біля школи номер п'ять")
        # Due in five days: outside the default three-day window, inside the configured one.
        await session.execute(update(Appeal).where(Appeal.id == appeal.id)
                              .values(deadline=local_today() + timedelta(days=5)))
        await session.commit()
        number = appeal.number

    await jobs.run_tick(app.sessionmaker, "test", once)

    assert [r.departments for r in seen] == [("water", "parks")]
    assert seen[0].due_soon_days == 7
    async with app.sessionmaker() as session:
        text = await session.scalar(select(OutboxMessage.text)
                                    .where(OutboxMessage.chat_id == "900"))
    assert text is not None and number in text


SCHEDULER_ONLY = """
import asyncio, sys
from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.features import build_sections, job_registry
from services import events, jobs
from services.db import make_engine, make_sessionmaker, utcnow
from services.models import ScheduledTask


async def main(url):
    registry = job_registry(build_sections(Settings(_env_file=None, database_url=url)))
    print(" ".join(sorted(registry.tasks)))
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        # A reminder of an event that no longer exists: its handler finds nothing to do.
        await jobs.schedule(session, events.REMINDER_TASK, utcnow() - timedelta(seconds=1),
                            {"event_id": 10**9, "version": 1, "stage": "ahead"})
        await session.commit()
    await jobs.run_tick(sessionmaker, "fresh", registry)
    async with sessionmaker() as session:
        print(await session.scalar(select(ScheduledTask.status)))
    await engine.dispose()


asyncio.run(main(sys.argv[1]))
"""


async def test_a_task_kind_is_handled_whatever_the_process_imported(database_url):
    """A fresh process that imports no handler module by hand (a scheduler-only process,
    say) still runs every declared task kind: the registry, not import side effects, says
    which handler runs which kind, so the task is done, not marked failed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCHEDULER_ONLY, database_url, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    kinds, status = out.decode().split("\n")[:2]
    assert kinds.split() == sorted({appeals.FOLLOWUP_TASK, broadcasts.START_TASK,
                                    events.REMINDER_TASK})
    assert status == "done"
    # The same kinds as the registry of this process, which imported everything.
    assert set(kinds.split()) == set(job_registry(build_sections(
        make_test_settings("sqlite://", "http://x", None))).tasks)
