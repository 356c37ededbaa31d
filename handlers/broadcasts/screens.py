"""The broadcasts feature's screens, built from plain values: the composing dialog's
questions and summary, a broadcast's progress, and the history.

No aiogram here: the buttons' actions come from `acts` (handlers/broadcasts/callbacks.Actions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import PageWindow, pager_row
from handlers.kit.screen import Button, Rows, Screen
from services import broadcasts
from services.broadcasts import Broadcast, BroadcastStatus, Progress
from services.events import Topic
from services.events.subscriptions import topic_name
from services.i18n import Raw, Texts
from services.timeutil import format_datetime

if TYPE_CHECKING:
    from handlers.broadcasts.callbacks import Actions

PAGE_SIZE = 5


# ---- composing ------------------------------------------------------------------------------
def progress_line(tr: Texts, k: int, n: int) -> str:
    return tr("press.bc.step_first" if k == 1 else "press.bc.step", n=k, total=n)


def audience_label(tr: Texts, topic: str | None, district: str | None) -> str:
    name = topic_name(tr, Topic(topic)) if topic else tr("press.bc.audience_all")
    return tr("press.bc.audience_district", topic=name, district=district) if district else name


def _yes_no(tr: Texts, value: Any) -> str:
    return tr("press.bc.yes" if value else "press.bc.no")


def _when(tr: Texts, data: Mapping[str, Any]) -> str:
    scheduled = broadcasts.draft_scheduled_at(dict(data))
    return format_datetime(scheduled) if scheduled else tr("press.bc.when_now")


def _count(tr: Texts, data: Mapping[str, Any]) -> str:
    """How many messages; on Viber, how many and how many of those Viber bills."""
    count = data.get("count", 0)
    if not data.get("viber"):
        return str(count)
    return tr("press.bc.count_viber", count=count, viber=data["viber"],
              billable=data.get("viber_billable", 0))


def summary_text(tr: Texts, data: Mapping[str, Any]) -> str:
    """Who gets it, how many, urgency, when, and the announcement as it will read."""
    preview = (tr("press.bc.with_photo") if data.get("photo") else "") + tr(
        "broadcasts.message", text=data.get("text", ""))
    return tr(
        "press.bc.summary",
        audience=audience_label(tr, data.get("topic"), data.get("district")),
        count=_count(tr, data),
        urgent=_yes_no(tr, data.get("urgent")),
        when=_when(tr, data),
        preview=Raw(preview),
    )


def send_label(tr: Texts, data: Mapping[str, Any]) -> str:
    if data.get("scheduled_at"):
        return tr("press.bc.confirm_scheduled", when=_when(tr, data))
    return tr("press.bc.send_now")


def summary_rows(tr: Texts, data: Mapping[str, Any], acts: Actions) -> Rows:
    """Next to "send": schedule it, and flip its urgency."""
    return ((Button(tr("press.bc.schedule"), acts.schedule()),
             Button(tr("press.bc.urgent_toggle", value=_yes_no(tr, data.get("urgent"))),
                    acts.urgent())),)


def aborted_screen(tr: Texts, acts: Actions) -> Screen:
    return Screen(tr("press.aborted"), Keyboard().menu(acts.menu(), tr).build())


# ---- progress -------------------------------------------------------------------------------
def progress_text(tr: Texts, broadcast: Broadcast, figures: Progress | None) -> str:
    """Queued, under way (with figures) or over (the report)."""
    if broadcast.status == BroadcastStatus.SCHEDULED.value and broadcast.scheduled_at is None:
        return tr("press.bc.queued", id=broadcast.id)  # the start task has not run yet
    assert figures is not None
    if broadcasts.running(broadcast, figures):
        return tr("press.bc.progress", id=broadcast.id, sent=figures.sent,
                  failed=figures.failed, blocked=figures.blocked, remaining=figures.remaining,
                  total=figures.total)
    return broadcasts.report_text(tr, broadcast, figures)


def progress_rows(tr: Texts, broadcast_id: int, *, running: bool, acts: Actions) -> Rows:
    keyboard = Keyboard()
    if running:
        keyboard.row(Button(tr("press.bc.refresh"), acts.refresh(broadcast_id)),
                     Button(tr("press.bc.cancel"), acts.cancel(broadcast_id)))
    return keyboard.menu(acts.menu(), tr).build()


def progress_screen(tr: Texts, broadcast: Broadcast, figures: Progress | None,
                    acts: Actions) -> Screen:
    running = figures is None or broadcasts.running(broadcast, figures)
    return Screen(progress_text(tr, broadcast, figures),
                  progress_rows(tr, broadcast.id, running=running, acts=acts))


@dataclass(frozen=True, slots=True)
class Sent:
    """A confirmed broadcast and, when it is scheduled, how many it will reach."""

    broadcast: Broadcast
    count: int = 0


def sent_screen(tr: Texts, sent: Sent, acts: Actions) -> Screen:
    broadcast = sent.broadcast
    if broadcast.scheduled_at is None:
        return progress_screen(tr, broadcast, None, acts)
    return Screen(tr("press.bc.scheduled", id=broadcast.id,
                     when=format_datetime(broadcast.scheduled_at), count=sent.count),
                  progress_rows(tr, broadcast.id, running=True, acts=acts))


def stopped_screen(tr: Texts, broadcast_id: int, figures: Progress, acts: Actions) -> Screen:
    return Screen(tr("press.bc.cancelled", id=broadcast_id, sent=figures.sent,
                     cancelled=figures.cancelled),
                  progress_rows(tr, broadcast_id, running=False, acts=acts))


# ---- history --------------------------------------------------------------------------------
def history_screen(tr: Texts, items: Sequence[tuple[Broadcast, Progress]], total: int,
                   page: int, acts: Actions) -> Screen:
    """A page of broadcasts, newest first, with refresh / stop for those under way."""
    if not items:
        return Screen(tr("press.bc.history_empty"), Keyboard().menu(acts.menu(), tr).build())
    window = PageWindow.from_total(page, total, PAGE_SIZE)
    blocks = []
    keyboard = Keyboard()
    for b, figures in items:
        blocks.append(broadcasts.report_text(tr, b, figures) + "\n"
                      + audience_label(tr, b.topic, b.district))
        if broadcasts.running(b, figures):
            keyboard.row(Button(tr("press.bc.refresh") + f" #{b.id}", acts.refresh(b.id)),
                         Button(tr("press.bc.cancel") + f" #{b.id}", acts.cancel(b.id)))
    keyboard.row(*pager_row(window, acts.history, tr))
    text = tr("press.bc.history_title", page=page + 1, pages=window.pages) + "\n\n" + \
        "\n\n".join(blocks)
    return Screen(text, keyboard.menu(acts.menu(), tr).build())
