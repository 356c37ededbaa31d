"""What moderators see of polls, as pure Screens: the list of every poll, a poll's staff card
with the live tally, closing early, and the edit prompts. No aiogram here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from handlers.kit.clip import MESSAGE_MAX, clip_html, clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import pager_row
from handlers.kit.screen import Action, Button, Screen
from handlers.polls.screens import LABEL_MAX, PollFacts, facts_lines
from services.i18n import Raw, Texts
from services.paging import Page
from services.polls.listing import PollSummary
from services.polls.models import Poll, PollStatus
from services.polls.results import Results, results_text
from services.polls.rules import PollRules
from services.timeutil import as_utc, format_datetime


class EditPart(StrEnum):
    NONE = "-"
    QUESTION = "q"
    DESCRIPTION = "d"
    OPTIONS = "o"


class StaffActions(Protocol):
    def menu(self) -> Action: ...
    def list(self, page: int = 0) -> Action: ...
    def new_poll(self) -> Action: ...
    def view(self, poll_id: int) -> Action: ...
    def close(self, poll_id: int) -> Action: ...
    def close_yes(self, poll_id: int) -> Action: ...
    def export(self, poll_id: int) -> Action: ...
    def edit(self, poll_id: int, version: int, part: EditPart) -> Action: ...


ICONS = {"draft": "📝", "scheduled": "🕓", "open": "🟢", "closed": "🔒"}


def stage(status: str, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """draft / scheduled / open / closed, as a moderator thinks of a poll."""
    if status == PollStatus.DRAFT:
        return "draft"
    if status == PollStatus.CLOSED or as_utc(closes_at) <= now:
        return "closed"
    return "scheduled" if as_utc(opens_at) > now else "open"


def staff_list_screen(tr: Texts, page: Page[PollSummary], nav: StaffActions,
                      now: datetime) -> Screen:
    lines = [tr("polls.staff.list_title")]
    lines.append(tr("polls.list.page", page=page.page + 1, pages=page.pages) if page.items
                 else tr("polls.staff.list_empty"))
    keyboard = Keyboard().row(Button(tr("polls.staff.btn.new"), nav.new_poll()))
    for item in page.items:
        icon = ICONS[stage(item.status, item.opens_at, item.closes_at, now)]
        keyboard.add(Button(icon + " " + clip_text(item.question, LABEL_MAX), nav.view(item.id)))
    keyboard.row(*pager_row(page, nav.list, tr, counter=True))
    keyboard.menu(nav.menu(), tr)
    return Screen("\n".join(lines), keyboard.build())


def editable(poll: Poll, now: datetime) -> bool:
    """The texts may change until the first answer, while the poll is not closed."""
    return (poll.answer_count == 0 and poll.status != PollStatus.CLOSED
            and as_utc(poll.closes_at) > now)


def staff_card_text(tr: Texts, poll: Poll, options: Sequence[str], live: Results,
                    now: datetime, rules: PollRules = PollRules()) -> str:
    where = stage(poll.status, poll.opens_at, poll.closes_at, now)
    lines = facts_lines(tr, PollFacts.of(poll, options))
    lines += ["", tr("polls.staff.stage", icon=ICONS[where],
                     stage=Raw(tr(f"polls.staff.stage_{where}")))]
    lines.append(tr("polls.staff.times", opens=format_datetime(as_utc(poll.opens_at)),
                    closes=format_datetime(as_utc(poll.closed_at or poll.closes_at))))
    lines.append(tr("polls.staff.announce_on" if poll.announce else "polls.staff.announce_off"))
    if poll.results_sent_at is not None:
        lines.append(tr("polls.staff.results_sent",
                        when=format_datetime(as_utc(poll.results_sent_at))))
    lines += ["", tr("polls.staff.live"), results_text(tr, live, rules)]
    return clip_html("\n".join(lines), MESSAGE_MAX)


def staff_card_screen(tr: Texts, poll: Poll, options: Sequence[str], live: Results,
                      nav: StaffActions, now: datetime, *, rules: PollRules = PollRules(),
                      notice: str = "") -> Screen:
    keyboard = Keyboard()
    if editable(poll, now):
        keyboard.add(*(Button(tr(f"polls.staff.btn.edit_{part.name.lower()}"),
                              nav.edit(poll.id, poll.version, part))
                       for part in (EditPart.QUESTION, EditPart.DESCRIPTION, EditPart.OPTIONS)))
        keyboard.adjust(3)
    if stage(poll.status, poll.opens_at, poll.closes_at, now) in ("open", "scheduled"):
        keyboard.row(Button(tr("polls.staff.btn.close"), nav.close(poll.id)))
    keyboard.row(Button(tr("polls.staff.btn.export"), nav.export(poll.id)),
                 Button(tr("polls.staff.btn.refresh"), nav.view(poll.id)))
    keyboard.back(nav.list(), tr, "polls.staff.btn.list")
    keyboard.menu(nav.menu(), tr)
    text = staff_card_text(tr, poll, options, live, now, rules)
    if notice:
        text = clip_html(notice + "\n\n" + text, MESSAGE_MAX)
    return Screen(text, keyboard.build())


def close_confirm_screen(tr: Texts, poll: Poll, nav: StaffActions) -> Screen:
    return Screen(tr("polls.staff.close_ask", question=poll.question,
                     respondents=Raw(tr.plural("polls.results.respondents", poll.answer_count))),
                  Keyboard().row(Button(tr("polls.staff.btn.close_yes"), nav.close_yes(poll.id)))
                  .back(nav.view(poll.id), tr).build())


def edit_prompt_screen(tr: Texts, poll: Poll, part: EditPart, nav: StaffActions,
                       rules: PollRules = PollRules(), reason: str = "") -> Screen:
    """Ask for the new text of one part; the same prompt again after bad input."""
    key = f"polls.staff.edit_{part.name.lower()}"
    text = tr(key, max=rules.question_max, description_max=rules.description_max,
              min=rules.options_min, options_max=rules.options_max)
    if reason:
        text = reason + "\n\n" + text
    return Screen(text, Keyboard().cancel(nav.view(poll.id), tr).build())
