"""What residents see of appeals: the section, the filing steps' questions and summary, their
appeals and cards, the follow-up. Pure: Screen values from plain values and `tr`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.appeals.actions import ResidentActions, SectionAction
from handlers.kit.pager import PagerTexts, pager_row
from handlers.kit.screen import Button, Rows, Screen
from services import appeals
from services.appeals import Appeal, AppealEvent, AppealRules, AppealView, Audience, HistoryEntry
from services.i18n import Raw, Texts
from services.timeutil import format_date, format_datetime

SNIPPET = 120
PAGER = PagerTexts(prev="appeals.prev", next="appeals.next")


def snippet(text: str, limit: int = SNIPPET) -> str:
    """User text squeezed to one line and clipped (the quoted text of a card or a list)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_line(tr: Texts, appeal: Appeal) -> str:
    return tr("appeals.list.item", number=appeal.number,
              status=appeals.status_label(tr, appeal.status),
              deadline=format_date(appeal.deadline))


def history_lines(tr: Texts, events: Sequence[HistoryEntry | AppealEvent]) -> Raw:
    """The history of a card; a reason appears only where the viewer may read it."""
    lines = []
    for e in events:
        line = tr("appeals.history.item", date=format_datetime(e.created_at),
                  status=appeals.status_label(tr, e.status))
        if e.status == "extended" and e.new_deadline:
            line += tr("appeals.history.new_deadline", deadline=format_date(e.new_deadline))
        if e.department:
            line += tr("appeals.history.department",
                       department=appeals.department_label(tr, e.department))
        if e.reason:
            line += tr("appeals.history.reason", reason=snippet(e.reason, 300))
        lines.append(line)
    return Raw("\n".join(lines))


# --- the section ---------------------------------------------------------------------------


def section(tr: Texts, a: ResidentActions, draft_at: tuple[int, int] | None) -> Screen:
    """The appeals section; `draft_at` is (k, n) of an unfinished draft, if any."""
    rows = [[Button(tr("appeals.section.new"), a.section(SectionAction.NEW))]]
    if draft_at is not None:
        k, n = draft_at
        rows.append([Button(tr("appeals.section.resume", k=k, n=n),
                            a.section(SectionAction.RESUME))])
        rows.append([Button(tr("appeals.section.discard"), a.section(SectionAction.DISCARD))])
    rows.append([Button(tr("appeals.section.mine"), a.mine())])
    rows.append([Button(tr("menu.back_to_menu"), a.menu())])
    return Screen(tr("appeals.section.title"), tuple(tuple(row) for row in rows))


def draft_exists(tr: Texts, a: ResidentActions, k: int, n: int) -> Screen:
    return Screen(tr("appeals.draft.exists", k=k, n=n), (
        (Button(tr("appeals.draft.resume"), a.section(SectionAction.RESUME)),),
        (Button(tr("appeals.draft.discard_new"), a.restart()),),
        (Button(tr("common.back"), a.section()),),
    ))


def discarded(tr: Texts, a: ResidentActions) -> Screen:
    return Screen(tr("appeals.draft.discarded"), (
        (Button(tr("appeals.section.back"), a.section()),),
        (Button(tr("menu.back_to_menu"), a.menu()),),
    ))


def _mine_and_menu(tr: Texts, a: ResidentActions) -> Rows:
    return ((Button(tr("appeals.section.mine"), a.mine()),),
            (Button(tr("menu.back_to_menu"), a.menu()),))


def supported(tr: Texts, a: ResidentActions, number: str) -> Screen:
    return Screen(tr("appeals.supported", number=number), _mine_and_menu(tr, a))


def registered(tr: Texts, a: ResidentActions, appeal: Appeal) -> Screen:
    return Screen(tr("appeals.registered", number=appeal.number,
                     date=format_date(appeal.registered_at),
                     deadline=format_date(appeal.deadline)),
                  ((Button(tr("appeals.open_card"), a.card(appeal.id)),),
                   *_mine_and_menu(tr, a)))


# --- the filing steps' questions (the wizard adds the progress line and the buttons) -------


def ask_type(tr: Texts) -> str:
    return tr("appeals.ask.type")


def ask_category(tr: Texts) -> str:
    return tr("appeals.ask.category")


def ask_text(tr: Texts, rules: AppealRules, data: Mapping[str, Any]) -> str:
    current = tr("appeals.ask.text_current", text=snippet(data["text"], 300)) \
        if data.get("text") else ""
    return tr("appeals.ask.text", limit=rules.text_max) + current


def files_count(tr: Texts, rules: AppealRules, count: int) -> str:
    return tr("appeals.files.count", k=count, n=rules.max_attachments)


def ask_files(tr: Texts, rules: AppealRules, data: Mapping[str, Any]) -> str:
    count = len(data.get("files", []))
    text = tr("appeals.ask.files", limit=rules.max_attachments,
              mb=rules.max_file_bytes // (1024 * 1024))
    return text + ("\n" + files_count(tr, rules, count) if count else "")


def ask_location(tr: Texts) -> str:
    return tr("appeals.ask.location")


def ask_public(tr: Texts) -> str:
    # Private unless the author says otherwise: appeals are personal correspondence.
    return tr("appeals.ask.public")


def _duplicate_line(tr: Texts, view: AppealView) -> str:
    """A suggested duplicate: only what `appeals.view_for` lets this resident see."""
    line = tr("appeals.dups.item", number=view.number, date=format_date(view.registered_at),
              category=appeals.category_label(tr, view.category))
    if view.street:
        line += "\n" + tr("appeals.dups.street", street=view.street)
    if view.text:
        line += "\n" + tr("appeals.dups.text", text=snippet(view.text))
    return line


def duplicates(tr: Texts, a: ResidentActions, similar: Sequence[AppealView]) -> tuple[str, Rows]:
    """Similar open appeals offered before the summary, each with its "support" button."""
    text = tr("appeals.dups.title") + "\n\n" + Raw("\n\n".join(_duplicate_line(tr, v)
                                                             for v in similar))
    rows = tuple((Button(tr("appeals.dups.support", number=v.number), a.support(v.id)),)
                 for v in similar)
    return text, rows


def summary(tr: Texts, rules: AppealRules, data: Mapping[str, Any], name: str,
            address: str) -> str:
    if data.get("lat") is not None:
        place = tr("appeals.summary.point", lat=f"{data['lat']:.5f}", lon=f"{data['lon']:.5f}")
    elif data.get("address"):
        place = data["address"]
    else:
        place = tr("appeals.summary.no_place")
    return tr(
        "appeals.summary",
        type=appeals.type_label(tr, data.get("type", "")),
        category=appeals.category_label(tr, data.get("category", "")),
        text=data.get("text", ""),
        files=len(data.get("files", [])),
        place=place,
        name=name,
        address=address,
        days=rules.answer_days,
        visibility=tr("appeals.summary.public" if data.get("public")
                      else "appeals.summary.private"),
    )


# --- my appeals ----------------------------------------------------------------------------


def my_list(tr: Texts, a: ResidentActions, page: appeals.Page | None) -> Screen:
    """The resident's appeals, a page of them; `None` when they have no profile yet."""
    if page is None:
        return Screen(tr("appeals.list.empty"), ((Button(tr("menu.back_to_menu"), a.menu()),),))
    if not page.total:
        return Screen(tr("appeals.list.empty"), (
            (Button(tr("appeals.section.new"), a.section(SectionAction.NEW)),),
            (Button(tr("common.back"), a.section()),),
        ))
    rows: list[tuple[Button, ...]] = [
        (Button(status_line(tr, item), a.card(item.id, page.page)),) for item in page.items]
    if pager := pager_row(page, a.mine, tr, texts=PAGER):
        rows.append(pager)
    rows.append((Button(tr("common.back"), a.section()),))
    return Screen(tr("appeals.list.title", page=page.page + 1, pages=page.pages)
                  + "\n" + tr.plural("appeals.count", page.total), tuple(rows))


def card(tr: Texts, a: ResidentActions, view: AppealView, page: int) -> Screen:
    text = tr(
        "appeals.card",
        number=view.number,
        type=appeals.type_label(tr, view.type or ""),
        category=appeals.category_label(tr, view.category),
        date=format_date(view.registered_at),
        status=appeals.status_label(tr, view.status or ""),
        deadline=format_date(view.deadline) if view.deadline else "—",
    )
    place = view.place or view.street
    if place:
        text += "\n" + tr("appeals.card.place", place=place)
    if view.text:
        text += "\n\n" + tr("appeals.card.text", text=snippet(view.text, 800))
    if view.audience is Audience.SUPPORTER:
        text += "\n\n" + tr("appeals.card.supporting")
        if not view.is_public:
            text += "\n" + tr("appeals.card.private")
    if view.answer:
        text += "\n\n" + tr("appeals.card.answer", answer=snippet(view.answer, 1500))
    text += "\n\n" + tr("appeals.card.history") + "\n" + history_lines(tr, view.history)
    return Screen(text, ((Button(tr("common.back"), a.mine(page)),),
                         (Button(tr("menu.back_to_menu"), a.menu()),)))


# --- the follow-up -------------------------------------------------------------------------


def _rating_rows(a: ResidentActions, appeal_id: int) -> Rows:
    return (tuple(Button("⭐" * score if score <= 1 else f"{score} ⭐", a.rate(appeal_id, score))
                  for score in range(1, 6)),)


def followup_thanks(tr: Texts, a: ResidentActions, appeal: Appeal, resolved: bool) -> Screen:
    key = "appeals.followup.thanks_yes" if resolved else "appeals.followup.thanks_no"
    return Screen(tr(key, number=appeal.number) + "\n\n" + tr("appeals.followup.rate"),
                  _rating_rows(a, appeal.id))


def ask_comment(tr: Texts, a: ResidentActions, number: str, reason: str = "",
                cancel: bool = True) -> Screen:
    """What is still unresolved? (after `reason`, when the last answer was not usable)."""
    return Screen((reason + "\n" if reason else "")
                  + tr("appeals.followup.ask_comment", number=number),
                  ((Button(tr("common.cancel"), a.section()),),) if cancel else ())


def rated(tr: Texts, a: ResidentActions, number: str, score: int) -> Screen:
    return Screen(tr("appeals.followup.rated", number=number, score=score),
                  _mine_and_menu(tr, a))
