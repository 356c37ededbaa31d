"""What residents see of polls, as pure Screens: the two lists, the card, the district
question and the results picture. No aiogram here: actions come from a `ResidentActions`
(handlers/polls/callbacks.py builds them), texts from `tr`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from handlers.kit.clip import CAPTION_MAX, MESSAGE_MAX, clip_html, clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import choices_page, pager_row
from handlers.kit.screen import Action, Button, Media, MediaKind, Screen
from services.i18n import Raw, Texts
from services.paging import Page
from services.polls.answers import PollView
from services.polls.eligibility import Access
from services.polls.listing import PollSummary
from services.polls.models import Poll
from services.polls.results import Results, results_text
from services.polls.rules import PollRules
from services.timeutil import as_utc, format_datetime

LABEL_MAX = 56  # characters of a poll or option on a button


class Shelf(StrEnum):
    """The residents' two lists."""

    OPEN = "open"
    CLOSED = "closed"


class ResidentActions(Protocol):
    def menu(self) -> Action: ...
    def shelf(self, kind: Shelf, page: int = 0) -> Action: ...
    def card(self, poll_id: int, page: int = 0) -> Action: ...
    def toggle(self, poll_id: int, version: int, mask: int, position: int,
               page: int = 0) -> Action: ...
    def answer(self, poll_id: int, version: int, mask: int, page: int = 0) -> Action: ...
    def chart(self, poll_id: int, page: int = 0) -> Action: ...
    def ask_district(self, poll_id: int, page: int = 0, districts_page: int = 0
                     ) -> Action: ...
    def district(self, poll_id: int, choice: int) -> Action: ...


@dataclass(frozen=True, slots=True)
class PollFacts:
    """A poll as the card describes it: from a stored poll or from a moderator's draft."""

    question: str
    description: str | None
    options: tuple[str, ...]
    multiple: bool
    max_choices: int
    districts: tuple[str, ...]
    opens_at: datetime | None  # None: as soon as it is published
    closes_at: datetime | None
    results_while_open: bool

    @classmethod
    def of(cls, poll: Poll, options: Sequence[str]) -> PollFacts:
        return cls(poll.question, poll.description, tuple(options), poll.multiple,
                   poll.max_choices, tuple(poll.districts or ()), as_utc(poll.opens_at),
                   as_utc(poll.closes_at), poll.results_while_open)


def bits(mask: int) -> list[int]:
    """Positions set in a selection mask: 0b101 → [0, 2]."""
    return [k for k in range(mask.bit_length()) if mask >> k & 1]


def mask_of(positions: Sequence[int]) -> int:
    return sum(1 << k for k in set(positions))


def _when(moment: datetime) -> str:
    return format_datetime(moment)


def _label(prefix: str, text: str) -> str:
    return prefix + clip_text(" ".join(text.split()), LABEL_MAX)


def how_to_answer(tr: Texts, facts: PollFacts) -> str:
    if not facts.multiple:
        return tr("polls.card.single")
    if facts.max_choices >= len(facts.options):
        return tr("polls.card.multiple_any")
    return tr("polls.card.multiple", max=facts.max_choices)


def facts_lines(tr: Texts, facts: PollFacts, *, with_options: bool = True) -> list[str]:
    """Question, description, options, who may answer, how and when results are seen."""
    lines = [tr("polls.card.heading", question=facts.question)]
    if facts.description:
        lines.append(tr("polls.card.description", text=facts.description))
    if with_options:
        lines.append("")
        lines += [tr("polls.card.option", n=k + 1, text=text)
                  for k, text in enumerate(facts.options)]
    lines.append("")
    lines.append(tr("polls.card.districts", districts=", ".join(facts.districts))
                 if facts.districts else tr("polls.card.whole_city"))
    lines.append(how_to_answer(tr, facts))
    lines.append(tr("polls.card.results_live" if facts.results_while_open
                    else "polls.card.results_after"))
    return lines


def _status_line(tr: Texts, view: PollView) -> str:
    poll = view.poll
    if view.access is Access.CLOSED:
        return tr("polls.card.closed", when=_when(as_utc(poll.closed_at or poll.closes_at)))
    if view.access is Access.NOT_OPEN_YET:
        return tr("polls.card.opens", when=_when(as_utc(poll.opens_at)),
                  closes=_when(as_utc(poll.closes_at)))
    return tr("polls.card.open_until", when=_when(as_utc(poll.closes_at)))


_NOTES = {
    Access.NOT_VERIFIED: "polls.card.verify_first",
    Access.DISTRICT_UNKNOWN: "polls.card.district_unknown",
    Access.NOT_YOUR_DISTRICT: "polls.card.not_your_district",
}


def card_text(tr: Texts, view: PollView, rules: PollRules = PollRules()) -> str:
    facts = PollFacts.of(view.poll, [o.text for o in view.options])
    lines = facts_lines(tr, facts)
    lines += ["", _status_line(tr, view)]
    if view.my_choices:
        chosen = [f"{k + 1}. {o.text}" for k, o in enumerate(view.options)
                  if o.id in view.my_choices]
        lines.append(tr("polls.card.your_answer", choices="; ".join(chosen)))
        if view.access is Access.CAN_ANSWER:
            lines.append(tr("polls.card.can_change", when=_when(as_utc(view.poll.closes_at))))
    elif view.answered_before:
        lines.append(tr("polls.card.answered_before"))
    if view.access in _NOTES:
        lines.append(tr(_NOTES[view.access], districts=", ".join(facts.districts)))
    if view.results is not None:
        lines += ["", results_text(tr, view.results, rules)]
    return clip_html("\n".join(lines), MESSAGE_MAX)


def _answer_rows(tr: Texts, view: PollView, nav: ResidentActions, mask: int,
                 page: int) -> Keyboard:
    """The options as buttons: one tap answers; with multiple choice a tap toggles and the
    confirm button answers with the selection."""
    poll, keyboard = view.poll, Keyboard()
    for k, option in enumerate(view.options):
        if poll.multiple:
            mark = "☑️ " if mask >> k & 1 else "⬜ "
            action = nav.toggle(poll.id, poll.version, mask, k, page)
        else:
            mark = "✅ " if option.id in view.my_choices else ""
            action = nav.answer(poll.id, poll.version, 1 << k, page)
        keyboard.add(Button(_label(f"{mark}{k + 1}. ", option.text), action))
    if poll.multiple:
        chosen = len(bits(mask))
        unchanged = {view.options[k].id for k in bits(mask) if k < len(view.options)} \
            == set(view.my_choices)
        if chosen and not unchanged:
            keyboard.row(Button(tr("polls.btn.confirm", count=chosen),
                                nav.answer(poll.id, poll.version, mask, page)))
    return keyboard


def district_rows(tr: Texts, names: Sequence[str], poll_id: int, nav: ResidentActions,
                  current: str | None = None, *, page: int = 0,
                  districts_page: int | None = None) -> Keyboard:
    """The districts a page at a time (`page` is the list's, for the way back)."""
    keyboard = choices_page(names, lambda k: nav.district(poll_id, k),
                            lambda p: nav.ask_district(poll_id, page, p), tr,
                            page=districts_page, current=current)
    return keyboard.row(Button(tr("polls.btn.district_unknown"), nav.district(poll_id, 0)))


def shelf_of(view: PollView) -> Shelf:
    return Shelf.CLOSED if view.access is Access.CLOSED else Shelf.OPEN


def card_screen(tr: Texts, view: PollView, nav: ResidentActions, *, mask: int | None = None,
                page: int = 0, district_names: Sequence[str] = (),
                rules: PollRules = PollRules(), notice: str = "") -> Screen:
    """The card, with what this resident may do now; `mask` is a multiple-choice selection
    in progress (default: their answer)."""
    poll = view.poll
    if mask is None:
        mask = mask_of([k for k, o in enumerate(view.options) if o.id in view.my_choices])
    if view.access is Access.ASK_DISTRICT:
        return district_screen(tr, district_names, nav, poll_id=poll.id, page=page,
                               districts=tuple(poll.districts or ()), back_to_card=False)
    keyboard = Keyboard()
    if view.access in (Access.CAN_ANSWER, Access.NOT_VERIFIED) and not view.answered_before:
        keyboard = _answer_rows(tr, view, nav, mask, page)
    if view.access in (Access.DISTRICT_UNKNOWN, Access.NOT_YOUR_DISTRICT):
        keyboard.row(Button(tr("polls.btn.set_district"), nav.ask_district(poll.id, page)))
    if view.access is Access.CLOSED:
        keyboard.row(Button(tr("polls.btn.chart"), nav.chart(poll.id, page)))
    keyboard.back(nav.shelf(shelf_of(view), page), tr, "polls.btn.back_list")
    keyboard.menu(nav.menu(), tr)
    text = card_text(tr, view, rules)
    if notice:
        text = clip_html(notice + "\n\n" + text, MESSAGE_MAX)
    return Screen(text, keyboard.build())


def district_screen(tr: Texts, names: Sequence[str], nav: ResidentActions, *,
                    poll_id: int = 0, page: int = 0, districts: Sequence[str] = (),
                    current: str | None = None, back_to_card: bool = True,
                    districts_page: int | None = None) -> Screen:
    """Where do you live? Asked once when a restricted poll is opened (the way back is then
    the list: the card would ask again); also to change it from the card. The districts
    open at the current one's page unless `districts_page` is given."""
    text = tr("polls.district.ask")
    if districts:
        text = tr("polls.district.ask_for_poll", districts=", ".join(districts)) + "\n\n" + text
    keyboard = district_rows(tr, names, poll_id, nav, current, page=page,
                             districts_page=districts_page)
    if poll_id and back_to_card:
        keyboard.back(nav.card(poll_id, page), tr, "polls.btn.back_poll")
    elif poll_id:
        keyboard.back(nav.shelf(Shelf.OPEN, page), tr, "polls.btn.back_list")
    keyboard.menu(nav.menu(), tr)
    return Screen(text, keyboard.build())


def district_saved_screen(tr: Texts, district: str | None, nav: ResidentActions) -> Screen:
    text = (tr("polls.district.saved", district=district) if district
            else tr("polls.district.saved_unknown"))
    return Screen(text, Keyboard().row(Button(tr("polls.btn.to_polls"), nav.shelf(Shelf.OPEN)))
                  .menu(nav.menu(), tr).build())


def _item_line(tr: Texts, kind: Shelf, item: PollSummary, n: int) -> str:
    if kind is Shelf.OPEN:
        return tr("polls.list.item_open", n=n, question=item.question,
                  when=_when(as_utc(item.closes_at)))
    return tr("polls.list.item_closed", n=n, question=item.question,
              when=_when(as_utc(item.closes_at)),
              respondents=Raw(tr.plural("polls.results.respondents", item.answer_count)))


def shelf_screen(tr: Texts, kind: Shelf, page: Page[PollSummary],
                 nav: ResidentActions) -> Screen:
    """One page of the open polls (closing soonest first) or of the closed ones."""
    lines = [tr(f"polls.list.{kind.value}")]
    if not page.items:
        lines.append(tr(f"polls.list.empty_{kind.value}"))
    else:
        lines.append(tr("polls.list.page", page=page.page + 1, pages=page.pages))
    keyboard = Keyboard()
    first = page.page * len(page.items) if page.page + 1 < page.pages else page.total - len(
        page.items)
    for k, item in enumerate(page.items):
        lines += ["", _item_line(tr, kind, item, first + k + 1)]
        icon = "🗳 " if kind is Shelf.OPEN else "📊 "
        keyboard.add(Button(_label(icon, item.question), nav.card(item.id, page.page)))
    keyboard.row(*pager_row(page, lambda p: nav.shelf(kind, p), tr, counter=True))
    other = Shelf.CLOSED if kind is Shelf.OPEN else Shelf.OPEN
    keyboard.row(Button(tr(f"polls.btn.shelf_{other.value}"), nav.shelf(other)))
    keyboard.menu(nav.menu(), tr)
    return Screen(clip_html("\n".join(lines), MESSAGE_MAX), keyboard.build())


def results_caption(tr: Texts, results: Results, rules: PollRules = PollRules()) -> str:
    """The chart's caption: the whole results text when it fits, else the short one."""
    full = results_text(tr, results, rules)
    if len(full) <= CAPTION_MAX:
        return full
    return tr("polls.notify.results_short", question=results.question,
              respondents=Raw(tr.plural("polls.results.respondents", results.respondents)))


def chart_screen(tr: Texts, results: Results, nav: ResidentActions, *, file_id: str | None,
                 png: bytes | None, filename: str, page: int = 0,
                 rules: PollRules = PollRules()) -> Screen:
    """The results picture (a stored upload's id, or the PNG itself) with its caption."""
    media = (Media(MediaKind.PHOTO, file=file_id) if file_id
             else Media(MediaKind.PHOTO, data=png, filename=filename))
    keyboard = Keyboard().back(nav.card(results.poll_id, page), tr, "polls.btn.back_poll")
    return Screen(results_caption(tr, results, rules), keyboard.menu(nav.menu(), tr).build(),
                  media=media)
