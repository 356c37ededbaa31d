"""What a feature declares to the bot: routers, menu entry, commands, jobs, settings section.

Each feature package exposes ``feature = Feature(...)``; bot/features.py lists them and the
dispatcher, command lists, scheduler and settings are built from that list (a later step).
Only declarations live here: no registry, no aiogram import at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.jobs import PeriodicHandler, PeriodKey, TaskHandler
from services.models import Role

if TYPE_CHECKING:
    from aiogram import Router

# Telegram's rule for command names; the strictest of our channels.
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

RoutersFactory = Callable[[], Sequence["Router"]]
# Gets the bot's Settings (typed loosely: handlers never import bot/) and returns the
# feature's frozen rules, built once and handed to handlers and jobs alike.
SettingsSection = Callable[[Any], object]


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """The feature's main-menu button: section name, place (lower first) and label key."""

    section: str
    order: int
    text_key: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.section):
            raise ValueError(f"menu section must be a lowercase name: {self.section!r}")
        if not self.text_key:
            object.__setattr__(self, "text_key", f"menu.{self.section}")


@dataclass(frozen=True, slots=True)
class Command:
    """A command in the channel's command list: residents see it, or staff with `staff`."""

    name: str
    description_key: str = ""
    staff: Role | None = None

    def __post_init__(self) -> None:
        if not _COMMAND_NAME.match(self.name):
            raise ValueError(f"command names are 1-32 of [a-z0-9_]: {self.name!r}")
        if not self.description_key:
            object.__setattr__(self, "description_key", f"cmd.{self.name}")


@dataclass(frozen=True, slots=True)
class Task:
    """A one-off task kind (services.jobs.schedule) and its handler."""

    kind: str
    handler: TaskHandler


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job run once per period (``period_key``: services.jobs.daily_at, every_tick)."""

    name: str
    period_key: PeriodKey
    handler: PeriodicHandler


Job = Task | Periodic


def _duplicates(names: Sequence[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    routers: RoutersFactory
    menu: MenuEntry | None = None
    commands: tuple[Command, ...] = ()
    jobs: tuple[Job, ...] = ()
    settings: SettingsSection | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"feature name must be a lowercase name: {self.name!r}")
        if dup := _duplicates([c.name for c in self.commands]):
            raise ValueError(f"feature {self.name}: commands declared twice: {dup}")
        job_names = [j.kind if isinstance(j, Task) else j.name for j in self.jobs]
        if dup := _duplicates(job_names):
            raise ValueError(f"feature {self.name}: jobs declared twice: {dup}")
