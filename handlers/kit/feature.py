"""What a feature declares to the bot: routers, menu entry, commands, jobs, settings section.

Each feature exposes ``feature = Feature(...)`` next to its handlers; bot/features.py lists
them, one line each, and the dispatcher (routers, main menu, injected sections), the command
lists and the scheduler's job registry are built from that list at start-up. Only
declarations live here: no registry, no aiogram import at run time.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.jobs import Job, Periodic, Task
from services.models import Role

if TYPE_CHECKING:
    from aiogram import Router

__all__ = ["Command", "Feature", "Job", "MenuEntry", "Periodic", "Press", "Task"]

# Telegram's rule for command names; the strictest of our channels.
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

RoutersFactory = Callable[[], Sequence["Router"]]
# Gets the bot's Settings (typed loosely: handlers never import bot/) and returns the
# feature's frozen rules (one object or a tuple of them), built once at start-up and handed
# to handlers (as workflow data named after the type: AppealRules → `appeal_rules`) and to
# jobs (JobContext.section(AppealRules)) alike.
SettingsSection = Callable[[Any], object]
StopHook = Callable[[], Awaitable[None]]


def no_routers() -> Sequence[Router]:
    return ()


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
    """A command in the channel's command list: residents see it, or staff with `staff`.

    `order` places it in the list (lower first), whichever feature declares it.
    """

    name: str
    description_key: str = ""
    staff: Role | None = None
    order: int = 0

    def __post_init__(self) -> None:
        if not _COMMAND_NAME.match(self.name):
            raise ValueError(f"command names are 1-32 of [a-z0-9_]: {self.name!r}")
        if not self.description_key:
            object.__setattr__(self, "description_key", f"cmd.{self.name}")


@dataclass(frozen=True, slots=True)
class Press:
    """A notification button's action the feature handles (services.outbox.press_button):
    `pack(**args)` gives the callback data its router answers."""

    action: str
    pack: Callable[..., str]


def _duplicates(names: Sequence[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature's declaration.

    `routers` are included in the order of bot/features.py (busiest features first);
    `fallback_routers` (catch-alls such as the plain `/start`) after every feature's routers,
    in the reverse order, so the core feature's catch-alls come last of all. `on_stop` runs
    when the process shuts down (e.g. cancelling the feature's background tasks).
    """

    name: str
    routers: RoutersFactory
    menu: MenuEntry | None = None
    commands: tuple[Command, ...] = ()
    jobs: tuple[Job, ...] = ()
    settings: SettingsSection | None = None
    fallback_routers: RoutersFactory = no_routers
    on_stop: StopHook | None = None
    presses: tuple[Press, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"feature name must be a lowercase name: {self.name!r}")
        if dup := _duplicates([c.name for c in self.commands]):
            raise ValueError(f"feature {self.name}: commands declared twice: {dup}")
        if dup := _duplicates([p.action for p in self.presses]):
            raise ValueError(f"feature {self.name}: presses declared twice: {dup}")
        job_names = [j.kind if isinstance(j, Task) else j.name for j in self.jobs]
        if dup := _duplicates(job_names):
            raise ValueError(f"feature {self.name}: jobs declared twice: {dup}")

    def sections(self, settings: Any) -> tuple[object, ...]:
        """The feature's settings sections, built from `settings` (none without a builder)."""
        if self.settings is None:
            return ()
        built = self.settings(settings)
        return built if isinstance(built, tuple) else (built,)
