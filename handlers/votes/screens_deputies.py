"""The deputies' screens: by faction, by district, by name, a deputy's card (attendance and
votes against the faction's majority, each rule stated in one sentence), their votes, the
deputies a resident follows, and the comparison of two deputies. Pure, as screens are."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handlers.kit.clip import clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import pager_row
from handlers.kit.screen import Action, Button, Screen, Translate
from handlers.votes.screens import (
    VALUE_MARK,
    deputy_button,
    fit,
    label,
    result_mark,
    value_text,
)
from handlers.votes.screens_nav import DeputyAction, Section, VotesNav
from services.timeutil import format_date
from services.votes.queries import FactionLine
from services.votes.stats import Comparison, DeputyCard, DeputyVoteLine
from services.votes.views import DeputyRef, Page, Share, page_of

DISTRICTS_PAGE = 20  # four a row, five rows: with the pager and "back", Viber's 24
DISTRICTS_ROW = 4
FOLLOWED_PAGE = 10


def share_text(tr: Translate, share: Share) -> str:
    if share.percent is None:
        return tr("votes.share.none")
    return tr("votes.share.value", percent=f"{share.percent:g}", part=share.part,
              whole=share.whole)


def deputies_menu(tr: Translate, nav: VotesNav, factions: Sequence[FactionLine],
                  has_districts: bool) -> Screen:
    kb = Keyboard()
    for f in factions:
        name = tr("votes.faction.unaffiliated") if f.unaffiliated else f.name
        kb.add(Button(label(f"{name} ({f.deputies})"), nav.faction(f.id)))
    kb.row(Button(tr("votes.btn.by_district"), nav.section(Section.DISTRICTS))
           if has_districts else None,
           Button(tr("votes.btn.by_name"), nav.section(Section.NAME_SEARCH)))
    kb.back(nav.home(), tr)
    text = tr("votes.deputies.title") if factions or has_districts else tr("votes.deputies.none")
    return Screen(text, kb.build())


def deputy_list(tr: Translate, nav: VotesNav, title: str, page: Page[DeputyRef],
                page_action: Callable[[int], Action], back: Action,
                open_deputy: Callable[[int], Action] | None = None) -> Screen:
    """A page of deputies, each a button to their card (or to `open_deputy`)."""
    opener = open_deputy or nav.deputy
    kb = Keyboard()
    kb.add(*(deputy_button(d, opener(d.id)) for d in page.items))
    kb.row(*pager_row(page, page_action, tr, counter=True))
    kb.back(back, tr)
    return Screen(title, kb.build())


def districts(tr: Translate, nav: VotesNav, items: Sequence[tuple[int, int]],
              page_number: int) -> Screen:
    page = page_of(items, page_number, DISTRICTS_PAGE)
    kb = Keyboard()
    kb.add(*(Button(tr("votes.btn.district", number=n, count=c), nav.district(n))
             for n, c in page.items)).adjust(DISTRICTS_ROW)
    kb.row(*pager_row(page, lambda p: nav.section(Section.DISTRICTS, p), tr, counter=True))
    kb.back(nav.section(Section.DEPUTIES), tr)
    return Screen(tr("votes.districts.title") if items else tr("votes.districts.none"),
                  kb.build())


def _who(tr: Translate, card: DeputyCard) -> list[str]:
    d = card.deputy
    parts = [tr("votes.deputy.name", name=d.name)]
    if card.unaffiliated:
        parts.append(tr("votes.faction.unaffiliated"))
    elif d.faction:
        post = f" — {card.faction_post}" if card.faction_post else ""
        parts.append(tr("votes.deputy.faction", faction=d.faction, post=post))
    if d.district is not None:
        parts.append(tr("votes.deputy.district", number=d.district))
    if card.party_name:
        parts.append(tr("votes.deputy.party", party=card.party_name))
    return parts


def _contacts(tr: Translate, card: DeputyCard) -> list[str]:
    found = [(key, value) for key, value in (
        ("votes.deputy.email", card.email), ("votes.deputy.phone", card.telephone),
        ("votes.deputy.hours", card.opening_hours)) if value]
    return [tr(key, value=clip_text(value, 200)) for key, value in found]


def deputy_card(tr: Translate, nav: VotesNav, card: DeputyCard, following: bool | None
                ) -> Screen:
    """`following` None: the person has not started the bot, so cannot follow yet."""
    d = card.deputy
    parts = _who(tr, card)
    parts += ["", tr("votes.deputy.attendance", share=share_text(tr, card.attendance)),
              tr(card.attendance_rule)]
    if card.against_faction is not None:
        parts += [tr("votes.deputy.against_faction",
                     share=share_text(tr, card.against_faction)),
                  tr(card.against_faction_rule)]
    else:
        parts.append(tr("votes.deputy.no_faction_share"))
    if card.latest:
        parts += ["", tr("votes.deputy.latest"),
                  *(tr("votes.deputy.vote_line", mark=result_mark(v.result),
                       date=format_date(v.held_on), value=value_text(tr, v.value),
                       title=clip_text(v.title, 90)) for v in card.latest)]
    else:
        parts += ["", tr("votes.deputy.no_votes")]
    contacts = _contacts(tr, card)
    if contacts:
        parts += ["", *contacts]
    if card.followers:
        parts.append(tr("votes.deputy.followers", count=card.followers))
    kb = Keyboard()
    if following is not None:
        kb.row(Button(tr("votes.btn.unfollow" if following else "votes.btn.follow"),
                      nav.deputy(d.id, DeputyAction.UNFOLLOW if following
                                 else DeputyAction.FOLLOW)))
    kb.add(Button(tr("votes.btn.all_votes"), nav.deputy(d.id, DeputyAction.VOTES))
           if card.latest else None,
           Button(tr("votes.btn.compare"), nav.deputy(d.id, DeputyAction.COMPARE))).adjust(2)
    if card.homepage and card.homepage.startswith(("https://", "http://")):
        kb.row(Button(tr("votes.btn.homepage"), url=card.homepage))
    kb.back(nav.section(Section.DEPUTIES), tr)
    return Screen(fit("\n".join(parts)), kb.build())


def deputy_votes(tr: Translate, nav: VotesNav, deputy: DeputyRef, page: Page[DeputyVoteLine]
                 ) -> Screen:
    text = tr("votes.deputy.votes_title", name=deputy.name, count=page.total)
    kb = Keyboard()
    kb.add(*(Button(label(f"{VALUE_MARK[v.value]} {format_date(v.held_on)} "
                          f"{v.title}"), nav.decision(v.event_id)) for v in page.items))
    kb.row(*pager_row(page, lambda p: nav.deputy(deputy.id, DeputyAction.VOTES, p), tr,
                      counter=True))
    kb.back(nav.deputy(deputy.id), tr)
    return Screen(text, kb.build())


def ask_name(tr: Translate, nav: VotesNav, *, compare_with: DeputyRef | None = None,
             problem: str | None = None) -> Screen:
    text = (tr("votes.compare.ask", name=compare_with.name) if compare_with
            else tr("votes.names.ask"))
    if problem:
        text = f"{problem}\n\n{text}"
    back = nav.deputy(compare_with.id) if compare_with else nav.section(Section.DEPUTIES)
    return Screen(text, Keyboard().back(back, tr).build())


def names_found(tr: Translate, nav: VotesNav, query: str, page: Page[DeputyRef],
                compare_with: DeputyRef | None = None) -> Screen:
    """Deputies found by name: to their cards, or to the comparison when choosing a second."""
    shown = clip_text(query, 100)
    title = (tr("votes.names.found", query=shown, count=page.total) if page.total
             else tr("votes.names.nothing", query=shown))
    if compare_with is not None:
        title = tr("votes.compare.pick", name=compare_with.name) + "\n" + title
        first = compare_with.id
        return deputy_list(tr, nav, title, page, lambda p: nav.section(Section.NAMES, p),
                           nav.deputy(first), lambda i: nav.compare(first, i))
    return deputy_list(tr, nav, title, page, lambda p: nav.section(Section.NAMES, p),
                       nav.section(Section.DEPUTIES))


def comparison(tr: Translate, nav: VotesNav, c: Comparison) -> Screen:
    lines = [tr("votes.compare.title", first=c.first.name, second=c.second.name),
             tr("votes.compare.agreement", share=share_text(tr, c.agreement)), tr(c.rule)]
    if c.differences.total:
        lines += ["", tr("votes.compare.differences", count=c.differences.total)]
        lines += [tr("votes.compare.line", date=format_date(d.held_on),
                     title=clip_text(d.title, 90), first=value_text(tr, d.first),
                     second=value_text(tr, d.second)) for d in c.differences.items]
    elif c.agreement.whole:
        lines.append(tr("votes.compare.no_differences"))
    kb = Keyboard()
    kb.add(*(Button(label(f"{format_date(d.held_on)} {d.title}"), nav.decision(d.event_id))
             for d in c.differences.items))
    kb.row(*pager_row(c.differences, lambda p: nav.compare(c.first.id, c.second.id, p), tr,
                      counter=True))
    kb.back(nav.deputy(c.first.id), tr)
    return Screen(fit("\n".join(lines)), kb.build())


def followed(tr: Translate, nav: VotesNav, deputies: Sequence[DeputyRef],
             page_number: int = 0) -> Screen:
    """The deputies a resident follows (as many as they like: a page at a time)."""
    text = tr("votes.followed.title") if deputies else tr("votes.followed.none")
    page = page_of(deputies, page_number, FOLLOWED_PAGE)
    kb = Keyboard()
    kb.add(*(deputy_button(d, nav.deputy(d.id)) for d in page.items))
    kb.row(*pager_row(page, lambda p: nav.section(Section.FOLLOWED, p), tr, counter=True))
    kb.back(nav.home(), tr)
    return Screen(text, kb.build())


def my_district(tr: Translate, nav: VotesNav, district: str | None, number: int | None,
                deputies: Sequence[DeputyRef]) -> Screen:
    """The resident's district's deputies; the rule that links the two is stated."""
    if district is None:
        text = tr("votes.mine.unknown")
    elif number is None:
        text = tr("votes.mine.no_number", district=district)
    elif not deputies:
        text = tr("votes.mine.nobody", district=district, number=number)
    else:
        text = tr("votes.mine.title", district=district, number=number)
    kb = Keyboard()
    kb.add(*(deputy_button(d, nav.deputy(d.id)) for d in deputies))
    kb.row(Button(tr("votes.btn.by_district"), nav.section(Section.DISTRICTS)))
    kb.back(nav.home(), tr)
    return Screen(text, kb.build())
