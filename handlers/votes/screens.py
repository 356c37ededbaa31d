"""The residents' vote screens: the section, sessions, a session's votes, a decision card and
its roll call, decisions found by words. Pure: plain values and `tr` in, a Screen out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.kit.clip import MESSAGE_MAX, clip_html, clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import pager_row
from handlers.kit.screen import Action, Button, DeepLink, Screen, Translate
from handlers.votes.screens_nav import Section, StaffSection, VotesNav
from services.timeutil import format_date, format_datetime
from services.votes.models import DecisionResult, VoteValue
from services.votes.petition_links import LinkedPetition
from services.votes.publishing import SessionState
from services.votes.queries import DecisionCard, FactionVotes, SessionLine
from services.votes.tallies import ORDER
from services.votes.views import DecisionLine, DeputyRef, Page, VoteCounts, page_of

LABEL_MAX = 56  # a button's text, so a phone shows it on one or two lines
TITLE_MAX = 600  # a decision's title on its card
# Every screen fits Viber's keyboard of 24 buttons: a roll call's page is 5 vote tabs,
# 15 deputies, 3 pager buttons and "back".
ROLL_PAGE = 15  # deputies per page of a roll call
RESULT_MARK = {DecisionResult.ADOPTED: "✅", DecisionResult.NOT_ADOPTED: "❌"}
VALUE_MARK = {VoteValue.FOR: "👍", VoteValue.AGAINST: "👎", VoteValue.ABSTAIN: "✋",
              VoteValue.NOT_VOTING: "⏸", VoteValue.ABSENT: "⚪"}


def fit(text: str) -> str:
    """A message within Telegram's limit however long the published names and titles are."""
    return clip_html(text, MESSAGE_MAX)


def label(text: str, limit: int = LABEL_MAX) -> str:
    return clip_text(" ".join(text.split()), limit)


def result_text(tr: Translate, result: DecisionResult | None) -> str:
    return tr(f"votes.result.{result.value}" if result else "votes.result.unknown")


def result_mark(result: DecisionResult | None) -> str:
    return RESULT_MARK.get(result, "➖") if result is not None else "➖"


def value_text(tr: Translate, value: VoteValue) -> str:
    return tr(f"votes.value.{value.value}")


def counts_text(tr: Translate, counts: VoteCounts) -> str:
    """All five, absent included: "For 80 · Against 2 · … · Absent 26"."""
    return " · ".join(f"{value_text(tr, v)} {counts.of(v)}" for v in ORDER)


def dates_text(date_from: date, date_until: date) -> str:
    if date_from == date_until:
        return format_date(date_from)
    return f"{format_date(date_from)}–{format_date(date_until)}"


def decision_button(d: DecisionLine, action: Action) -> Button:
    return Button(label(f"{result_mark(d.result)} {d.title}"), action)


def deputy_button(d: DeputyRef, action: Action, *, short: bool = False) -> Button:
    return Button(label(d.short_name if short else d.name), action)


@dataclass(frozen=True, slots=True)
class HomeView:
    """What the section's first screen needs to know about the person and the data."""

    sessions: int  # published sessions
    latest: SessionLine | None
    subscribed: bool | None  # None: no resident yet (they have not started the bot)
    followed: int
    has_my_district: bool
    is_staff: bool


def home(tr: Translate, nav: VotesNav, view: HomeView) -> Screen:
    lines = [tr("votes.home.title"), tr("votes.home.intro")]
    if view.latest is not None:
        lines.append(tr("votes.home.latest", session=view.latest.label,
                        dates=dates_text(view.latest.date_from, view.latest.date_until)))
    else:
        lines.append(tr("votes.home.none"))
    kb = Keyboard()
    kb.add(Button(tr("votes.btn.sessions"), nav.section(Section.SESSIONS)),
           Button(tr("votes.btn.search"), nav.section(Section.SEARCH)),
           Button(tr("votes.btn.deputies"), nav.section(Section.DEPUTIES)),
           Button(tr("votes.btn.followed", count=view.followed), nav.section(Section.FOLLOWED))
           if view.followed else None,
           Button(tr("votes.btn.my_district"), nav.section(Section.MY_DISTRICT))
           if view.has_my_district else None).adjust(2)
    if view.subscribed is not None:
        kb.row(Button(tr("votes.btn.unsubscribe" if view.subscribed else "votes.btn.subscribe"),
                      nav.section(Section.NOTIFY)))
    if view.is_staff:
        kb.row(Button(tr("votes.btn.staff"), nav.staff(StaffSection.HOME)))
    kb.menu(nav.menu(), tr)
    return Screen("\n\n".join(lines), kb.build())


def sessions(tr: Translate, nav: VotesNav, page: Page[SessionLine]) -> Screen:
    text = tr("votes.sessions.title") if page.total else tr("votes.sessions.empty")
    kb = Keyboard()
    kb.add(*(Button(label(f"📅 {dates_text(s.date_from, s.date_until)} · {s.label}"),
                    nav.session(s.id)) for s in page.items))
    kb.row(*pager_row(page, lambda p: nav.section(Section.SESSIONS, p), tr, counter=True))
    kb.back(nav.home(), tr)
    return Screen(text, kb.build())


def session(tr: Translate, nav: VotesNav, state: SessionState, page: Page[DecisionLine],
            ) -> Screen:
    text = tr("votes.session.title", session=state.label,
              dates=dates_text(state.date_from, state.date_until), votes=state.votes)
    kb = Keyboard()
    kb.add(*(decision_button(d, nav.decision(d.id)) for d in page.items))
    kb.row(*pager_row(page, lambda p: nav.session(state.id, p), tr, counter=True))
    kb.back(nav.section(Section.SESSIONS), tr)
    return Screen(text, kb.build())


def _faction_line(tr: Translate, f: FactionVotes) -> str:
    if f.faction_id is None:
        name = tr("votes.faction.unknown")
    elif f.unaffiliated:
        name = tr("votes.faction.unaffiliated")
    else:
        name = f.name or ""
    c = f.counts
    return tr("votes.card.faction", name=name, for_=c.for_, against=c.against,
              abstain=c.abstain, not_voting=c.not_voting, absent=c.absent)


def decision_text(tr: Translate, card: DecisionCard,
                  petition: LinkedPetition | None = None) -> str:
    """The card's text (residents and staff alike)."""
    parts = [tr("votes.card.title", title=clip_text(card.title, TITLE_MAX))]
    if card.item_title and card.item_title.strip() and card.item_title != card.title:
        parts.append(tr("votes.card.item", number=card.item_number or "",
                        title=clip_text(card.item_title, TITLE_MAX)))
    if card.project_number:
        parts.append(tr("votes.card.project", number=card.project_number))
    when = format_datetime(card.started_at) if card.started_at else format_date(card.held_on)
    parts.append(tr("votes.card.when", when=when, session=card.session_label))
    parts.append(tr("votes.card.result", mark=result_mark(card.result),
                    result=result_text(tr, card.result)))
    parts.append(counts_text(tr, card.counts))
    if not card.counts_published:
        parts.append(tr("votes.card.counts_from_roll"))
    if card.needs_review:
        parts.append(tr("votes.card.confirmed" if card.confirmed else "votes.card.flagged"))
    if card.factions:
        parts += ["", tr("votes.card.by_faction"), *(_faction_line(tr, f) for f in card.factions)]
    if petition is not None:
        parts += ["", tr("votes.card.petition", number=petition.number or "—",
                         title=clip_text(petition.title, 150))]
    parts += ["", tr("votes.card.source", file=card.text_file or card.source_file)]
    return fit("\n".join(parts))


def source_button(tr: Translate, card: DecisionCard) -> Button | None:
    url = (card.source_url or "").strip()
    if not url.startswith(("https://", "http://")):
        return None
    return Button(tr("votes.btn.source"), url=url)


def decision(tr: Translate, nav: VotesNav, card: DecisionCard,
             petition: LinkedPetition | None = None) -> Screen:
    kb = Keyboard()
    first = next((g.value for g in card.groups if g.deputies or g.unnamed), VoteValue.FOR)
    if card.roll_size:
        kb.row(Button(tr("votes.btn.roll"), nav.roll(card.id, first)))
    kb.row(source_button(tr, card))
    if petition is not None and petition.number:
        kb.row(Button(tr("votes.btn.petition", number=petition.number),
                      link=DeepLink(f"petition_{petition.petition_id}")))
    kb.back(nav.session(card.session_id), tr)
    return Screen(decision_text(tr, card, petition), kb.build())


def roll_call(tr: Translate, nav: VotesNav, card: DecisionCard, value: VoteValue,
              page_number: int) -> Screen:
    """The deputies who voted `value`, a page of them, with a tab for each other vote."""
    group = next(g for g in card.groups if g.value == value)
    page = page_of(group.deputies, page_number, ROLL_PAGE)
    lines = [tr("votes.roll.title", title=clip_text(card.title, 200)),
             tr("votes.roll.group", value=value_text(tr, value),
                count=len(group.deputies) + group.unnamed)]
    lines += [tr("votes.roll.line", name=clip_text(d.name, 100),
                 faction=clip_text(d.faction or "—", 60)) for d in page.items]
    if group.unnamed:
        lines.append(tr("votes.roll.unnamed", count=group.unnamed))
    if not group.deputies and not group.unnamed:
        lines.append(tr("votes.roll.nobody"))
    kb = Keyboard()
    kb.row(*(Button(("• " if g.value == value else "") + f"{VALUE_MARK[g.value]} "
                    f"{len(g.deputies) + g.unnamed}", nav.roll(card.id, g.value))
             for g in card.groups if g.deputies or g.unnamed or g.value == value))
    kb.add(*(deputy_button(d, nav.deputy(d.id), short=True) for d in page.items)).adjust(2)
    kb.row(*pager_row(page, lambda p: nav.roll(card.id, value, p), tr, counter=True))
    kb.back(nav.decision(card.id), tr)
    return Screen(fit("\n".join(lines)), kb.build())


def ask_words(tr: Translate, nav: VotesNav, *, problem: str | None = None) -> Screen:
    text = tr("votes.search.ask")
    if problem:
        text = f"{problem}\n\n{text}"
    return Screen(text, Keyboard().back(nav.home(), tr).build())


def found(tr: Translate, nav: VotesNav, query: str, page: Page[DecisionLine]) -> Screen:
    text = (tr("votes.search.found", query=clip_text(query, 100), count=page.total)
            if page.total else tr("votes.search.nothing", query=clip_text(query, 100)))
    kb = Keyboard()
    kb.add(*(Button(label(f"{result_mark(d.result)} {format_date(d.held_on)} {d.title}"),
                    nav.decision(d.id)) for d in page.items))
    kb.row(*pager_row(page, lambda p: nav.section(Section.RESULTS, p), tr, counter=True))
    kb.row(Button(tr("votes.btn.search_again"), nav.section(Section.SEARCH)))
    kb.back(nav.home(), tr)
    return Screen(text, kb.build())


def need_start(tr: Translate, nav: VotesNav) -> Screen:
    return Screen(tr("votes.need_start"), Keyboard().back(nav.home(), tr).build())


def subscribed(tr: Translate, nav: VotesNav, on: bool) -> Screen:
    return Screen(tr("votes.notify.on" if on else "votes.notify.off"),
                  Keyboard().back(nav.home(), tr).build())
