"""What moderators see of appeals: the queue, a page of it, the card with its actions, the
extend dialog's question, the statistics. Pure: Screen values from plain values and `tr`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.appeals.actions import StaffAction, StaffActions
from handlers.appeals.screens import PAGER, history_lines, status_line
from handlers.kit.pager import pager_row
from handlers.kit.screen import Button, Rows, Screen
from services import appeals
from services.appeals import Appeal, AppealEvent, AppealStats, AppealStatus, QueueGroup
from services.i18n import Texts
from services.models import Petition
from services.timeutil import format_date, local_today


def queue(tr: Texts, a: StaffActions, groups: Sequence[QueueGroup], today: date) -> Screen:
    """Open appeals per category, the oldest first, and all of them."""
    rows: list[tuple[Button, ...]] = [
        (Button(tr("appeals.admin.queue.group", category=appeals.category_label(tr, g.category),
                   count=g.count,
                   age=tr.plural("appeals.days", (today - local_today(g.oldest)).days)),
                a.page(g.category)),)
        for g in groups
    ]
    if groups:
        rows.append((Button(tr("appeals.admin.queue.all"), a.page()),))
    rows.append((Button(tr("menu.back_to_menu"), a.menu()),))  # the queue is no dead end
    total = sum(g.count for g in groups)
    text = tr("appeals.admin.queue.title") + "\n" + (
        tr.plural("appeals.admin.queue.open", total) if total else tr("appeals.admin.queue.empty")
    )
    return Screen(text, tuple(rows))


def queue_page(tr: Texts, a: StaffActions, page: appeals.Page, category: str,
               today: date) -> Screen:
    """A page of open appeals (of `category`, "" = all); ⚠️ marks those past the deadline."""
    rows: list[tuple[Button, ...]] = [
        (Button(("⚠️ " if item.deadline < today else "") + status_line(tr, item),
                a.card(item.id, category, page.page)),)
        for item in page.items
    ]
    if pager := pager_row(page, lambda n: a.page(category, n), tr, texts=PAGER):
        rows.append(pager)
    rows.append((Button(tr("common.back"), a.queue()),))
    title = appeals.category_label(tr, category) if category else tr("appeals.admin.queue.all")
    return Screen(tr("appeals.admin.list.title", title=title, page=page.page + 1,
                     pages=page.pages), tuple(rows))


def _card_text(tr: Texts, appeal: Appeal, events: Sequence[AppealEvent], supporters: int,
               petition: Petition | None) -> str:
    if appeal.latitude is not None and appeal.longitude is not None:
        place = tr("appeals.summary.point", lat=f"{appeal.latitude:.5f}",
                   lon=f"{appeal.longitude:.5f}")
    else:
        place = appeal.location_text or tr("appeals.summary.no_place")
    text = tr(
        "appeals.admin.card",
        number=appeal.number,
        type=appeals.type_label(tr, appeal.type),
        category=appeals.category_label(tr, appeal.category),
        date=format_date(appeal.registered_at),
        status=appeals.status_label(tr, appeal.status),
        deadline=format_date(appeal.deadline),
        simple=tr("appeals.admin.simple_yes") if appeal.is_simple else "",
        name=appeal.author_name,
        address=appeal.author_address,
        place=place,
        department=appeals.department_label(tr, appeal.department) if appeal.department
        else "—",
        assignee=appeal.assignee or "—",
        files=len(appeal.attachments),
        supporters=supporters,
        text=appeal.text[:1500],
    )
    if petition is not None:
        text += "\n\n" + tr("appeals.admin.card.petition", number=petition.number or "—",
                            title=petition.title)
    if appeal.answer_text:
        text += "\n\n" + tr("appeals.card.answer", answer=appeal.answer_text[:800])
    return text + "\n\n" + tr("appeals.card.history") + "\n" + history_lines(tr, events)


def _card_rows(tr: Texts, a: StaffActions, appeal: Appeal, category: str, page: int,
               petition: Petition | None) -> Rows:
    def act(key: str, action: StaffAction) -> Button:
        return Button(tr(key), a.act(action, appeal.id))

    rows: list[tuple[Button, ...]] = []
    if appeals.is_open(appeal):
        rows.append((act("appeals.admin.assign", StaffAction.ASSIGN),
                     act("appeals.admin.take", StaffAction.TAKE)))
        row = []
        if appeals.can_move(appeal.status, AppealStatus.IN_PROGRESS):
            row.append(act("appeals.admin.progress", StaffAction.PROGRESS))
        if not appeal.extended:
            row.append(act("appeals.admin.unsimple" if appeal.is_simple
                           else "appeals.admin.simple", StaffAction.SIMPLE))
        rows.append(tuple(row))
        row = []
        if not appeal.extended:
            row.append(act("appeals.admin.extend", StaffAction.EXTEND))
        if appeals.can_move(appeal.status, AppealStatus.RETURNED):
            row.append(act("appeals.admin.return", StaffAction.RETURN))
        rows.append(tuple(row))
        rows.append((act("appeals.admin.answer", StaffAction.ANSWER),
                     act("appeals.admin.merge", StaffAction.MERGE)))
    if appeals.can_move(appeal.status, AppealStatus.CLOSED):
        rows.append((act("appeals.admin.close", StaffAction.CLOSE),))
    if appeal.attachments or appeal.latitude is not None:
        rows.append((Button(tr("appeals.admin.files", n=len(appeal.attachments)),
                            a.act(StaffAction.FILES, appeal.id)),))
    if petition is not None:
        rows.append((Button(tr("appeals.admin.open_petition"), a.petition(petition.id)),))
    rows.append((Button(tr("common.back"), a.page(category, page)),))
    return tuple(row for row in rows if row)


@dataclass(frozen=True, slots=True)
class CardView:
    """What a staff card shows, as read from the services; `notice` says what was just done,
    `category` and `page` are of the list it was opened from."""

    appeal: Appeal
    events: Sequence[AppealEvent]
    supporters: int
    petition: Petition | None
    notice: str = ""
    category: str = ""
    page: int = 0


def card(tr: Texts, a: StaffActions, view: CardView) -> Screen:
    """The staff card: everything of the appeal, the actions its status allows, the way back
    to the list it was opened from."""
    text = (view.notice + "\n\n" if view.notice else "") + _card_text(
        tr, view.appeal, view.events, view.supporters, view.petition)
    return Screen(text, _card_rows(tr, a, view.appeal, view.category, view.page, view.petition))


def departments(tr: Texts, a: StaffActions, appeal_id: int,
                names: Sequence[str]) -> Screen:
    rows = tuple((Button(appeals.department_label(tr, d), a.department(appeal_id, i)),)
                 for i, d in enumerate(names))
    return Screen(tr("appeals.admin.choose_department"),
                  (*rows, (Button(tr("common.back"), a.card(appeal_id)),)))


def ask_extend_date(tr: Texts, data: Mapping[str, Any]) -> str:
    """The extend dialog's first question (its draft holds the appeal's dates)."""
    return tr("appeals.admin.ask_extend_date", number=data.get("number", ""),
              deadline=format_date(date.fromisoformat(data["deadline"])),
              latest=latest_shown(data))


def latest_shown(data: Mapping[str, Any]) -> str:
    """The latest date the law allows, as the extend dialog offers it on a button."""
    return format_date(date.fromisoformat(data["latest"]))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def stats(tr: Texts, figures: AppealStats) -> Screen:
    by_status = "\n".join(
        f"• {appeals.status_label(tr, s)}: {n}" for s, n in sorted(figures.by_status.items())
    ) or "—"
    by_category = "\n".join(
        f"• {appeals.category_label(tr, c)}: {n}"
        for c, n in sorted(figures.by_category.items(), key=lambda item: -item[1])
    ) or "—"
    return Screen(tr(
        "appeals.admin.stats",
        total=figures.total,
        by_status=by_status,
        by_category=by_category,
        median="—" if figures.median_days is None else f"{figures.median_days:g}",
        on_time=_percent(figures.on_time_share),
        satisfaction="—" if figures.satisfaction is None else f"{figures.satisfaction:.1f}",
        rated=figures.rated,
    ))
