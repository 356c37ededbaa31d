"""The residents' petition screens, built from plain values: section, lists, card, sharing,
and the filing dialog's questions. No channel's terms here: buttons carry the actions the
channel hands in (handlers/petitions/actions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.kit.clip import MESSAGE_MAX, clip_html, clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import PagerTexts, pager_row
from handlers.kit.screen import Button, DeepLink, Rows, Screen, Share
from handlers.petitions.actions import CardAction, ResidentActions
from services import petitions
from services.i18n import Raw, Texts, echo
from services.models import Petition, PetitionStatus
from services.petitions import ListKind, Page, PetitionCard, PetitionRules
from services.timeutil import format_date

if TYPE_CHECKING:
    from handlers.kit.wizard import Asking

BAR_CELLS = 10
LABEL_MAX = 48
PAGER = PagerTexts(prev="petition.btn.prev", next="petition.btn.next")
# Lists whose items say where each petition stands.
WITH_STATUS = (ListKind.MINE, ListKind.SIGNED, ListKind.SEARCH, ListKind.CONSIDERED)


# ---- pieces -------------------------------------------------------------------------------


def progress_bar(count: int, threshold: int | None) -> str:
    if not threshold:
        return ""
    filled = min(BAR_CELLS, count * BAR_CELLS // threshold)
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def clip_label(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def petition_label(p: Petition) -> str:
    prefix = f"№{p.number} " if p.number else "🕓 "
    return prefix + clip_label(p.title)


def progress(tr: Texts, p: Petition) -> str:
    if not p.threshold:
        return ""
    percent = min(100, p.signature_count * 100 // p.threshold)
    return tr(
        "petition.card.progress",
        bar=progress_bar(p.signature_count, p.threshold),
        count=Raw(tr.plural("petition.signatures", p.signature_count)),
        threshold=p.threshold,
        percent=percent,
    )


def _time_left(tr: Texts, view: PetitionCard) -> list[str]:
    p = view.petition
    if view.days_left is None or p.deadline is None:
        return []
    return [tr.plural("petition.card.days_left", view.days_left,
                      deadline=format_date(p.deadline))]


def status_line(tr: Texts, p: Petition) -> str:
    return tr("petition.card.status", status=Raw(tr(f"petition.status.{p.status}")))


def title_line(tr: Texts, p: Petition) -> str:
    return tr("petition.card.title", number=p.number) if p.number else tr("petition.card.draft")


def author_line(tr: Texts, name: str | None) -> str:
    return tr("petition.card.author", name=name or tr("petition.card.author_unknown"))


def back_button(tr: Texts, actions: ResidentActions, kind: ListKind | None = None,
                page: int = 0) -> Button:
    """Back to the list the person came from, or to the petitions section."""
    if kind is not None:
        return Button(tr("petition.btn.back_list"), actions.page(kind, page))
    return Button(tr("petition.btn.back_section"), actions.section())


# ---- the card -----------------------------------------------------------------------------


def render_card(tr: Texts, view: PetitionCard, *, body_limit: int | None = None) -> str:
    """The card: number, title, author's public name, text, progress, time left, status, answer."""
    p = view.petition
    body = p.text if body_limit is None else clip_label(p.text, body_limit)
    parts = [title_line(tr, p), tr("petition.card.heading", title=p.title),
             author_line(tr, view.author_name)]
    if p.category:
        parts.append(tr("petition.card.category", category=p.category))
    parts += ["", tr("petition.card.body", text=body), ""]
    if p.threshold:
        parts.append(progress(tr, p))
    parts += _time_left(tr, view)
    parts.append(status_line(tr, p))
    if p.status in (PetitionStatus.REJECTED, PetitionStatus.HIDDEN) and p.reject_reason:
        parts.append(tr("petition.card.rejected",
                        reason=Raw(tr(f"petition.reason.{p.reject_reason}"))))
        if p.reject_comment:
            parts.append(tr("petition.notify.rejected_comment", comment=p.reject_comment))
    if p.answer_text and p.answered_at is not None:
        parts += ["", tr("petition.card.answer", date=format_date(p.answered_at),
                         kind=Raw(tr(f"petition.answer_kind.{p.answer_kind}")),
                         answer=p.answer_text)]
    if view.signed:
        parts.append(tr("petition.card.you_signed"))
    text = "\n".join(parts)
    if len(text) > MESSAGE_MAX and body_limit is None:
        return render_card(tr, view, body_limit=max(200, len(p.text) - (len(text) - MESSAGE_MAX)
                                                   - 50))
    return text


def card_screen(tr: Texts, view: PetitionCard, actions: ResidentActions,
                back: ListKind | None = None, page: int = 0) -> Screen:
    p = view.petition

    def act(action: CardAction) -> Button:
        return Button(tr(f"petition.btn.{action.value}"), actions.card(action, p.id, back, page))

    keyboard = Keyboard()
    if view.can_sign:
        keyboard.row(act(CardAction.SIGN))
    if view.can_withdraw:
        keyboard.row(act(CardAction.WITHDRAW))
    if p.status in petitions.PUBLIC and p.number:
        # Opens the chat picker with `@bot petition 12` typed in: the card goes in as is. A
        # messenger without inline mode forwards the number, title and the card's link.
        forward = (clip_text(f"№{p.number} {p.title}", 200),
                   DeepLink(petitions.link_payload(p.id)))
        keyboard.row(Button(tr("petition.btn.share"),
                            share=Share(tr("petition.inline.query", number=p.number),
                                        forward=forward)))
    keyboard.row(back_button(tr, actions, back, page)).menu(actions.menu(), tr)
    return Screen(render_card(tr, view), keyboard.build())


def not_found_screen(tr: Texts, actions: ResidentActions) -> Screen:
    return Screen(tr("petition.error.not_found"),
                  Keyboard().row(back_button(tr, actions)).menu(actions.menu(), tr).build())


# ---- the section, lists and search --------------------------------------------------------


def section_text(tr: Texts, rules: PetitionRules) -> str:
    return tr("petition.section.title",
              threshold=Raw(tr.plural("petition.signatures", rules.threshold)),
              days=rules.period_days)


def section_rows(tr: Texts, actions: ResidentActions) -> Rows:
    def lst(kind: ListKind) -> Button:
        return Button(tr(f"petition.btn.list_{kind.value}"), actions.page(kind))

    return (Keyboard()
            .row(lst(ListKind.NEWEST), lst(ListKind.MOST_SIGNED))
            .row(lst(ListKind.ENDING_SOON), lst(ListKind.CONSIDERED))
            .row(Button(tr("petition.btn.search"), actions.search()))
            .row(Button(tr("petition.btn.create"), actions.start_filing()))
            .row(lst(ListKind.MINE), lst(ListKind.SIGNED))
            .menu(actions.menu(), tr)
            .build())


def section_screen(tr: Texts, rules: PetitionRules, actions: ResidentActions) -> Screen:
    return Screen(section_text(tr, rules), section_rows(tr, actions))


def search_screen(tr: Texts, actions: ResidentActions) -> Screen:
    return Screen(tr("petition.search.ask"), Keyboard().row(back_button(tr, actions)).build())


def search_again_screen(tr: Texts, reason_key: str) -> Screen:
    """Why the words would not do, and the same question again."""
    return Screen(tr(reason_key) + "\n" + tr("petition.search.ask"))


def list_screen(tr: Texts, kind: ListKind, result: Page, actions: ResidentActions,
                query: str | None = None) -> Screen:
    lines = [tr(f"petition.list.{kind.value}", query=echo(query))]
    if not result.items:
        lines.append(tr("petition.list.empty"))
    else:
        lines.append(tr("petition.list.page", page=result.page + 1, pages=result.pages))
    for p in result.items:
        lines += ["", tr("petition.list.item", number=p.number or "—", title=p.title)]
        if p.threshold and p.status != PetitionStatus.MODERATION:
            lines.append(progress(tr, p))
        if kind in WITH_STATUS:
            lines.append(tr(f"petition.status.{p.status}"))
    keyboard = Keyboard().add(*(
        Button(petition_label(p), actions.card(CardAction.OPEN, p.id, kind, result.page))
        for p in result.items))
    keyboard.row(*pager_row(result, lambda n: actions.page(kind, n), tr, texts=PAGER))
    keyboard.row(back_button(tr, actions))
    return Screen("\n".join(lines), keyboard.build())


# ---- sharing into a chat ------------------------------------------------------------------


def share_text(tr: Texts, view: PetitionCard, link: str) -> str:
    """What lands in the chat: number, title, progress, time left, status and the link."""
    p = view.petition
    parts = [tr("petition.card.title", number=p.number), tr("petition.card.heading", title=p.title)]
    if p.threshold:
        parts.append(progress(tr, p))
    parts += _time_left(tr, view)
    parts.append(status_line(tr, p))
    parts += ["", tr("petition.inline.link", link=link)]
    return clip_html("\n".join(parts), MESSAGE_MAX)


# ---- the filing dialog (handlers/petitions/filing.py) ----------------------------------------


def ask_title(a: Asking[PetitionRules]) -> str:
    return a.tr("petition.new.ask_title", min=a.rules.title_min, max=a.rules.title_max)


def ask_text(a: Asking[PetitionRules]) -> str:
    return a.tr("petition.new.ask_text", min=a.rules.text_min, max=a.rules.text_max)


def ask_category(a: Asking[PetitionRules]) -> str:
    return a.tr("petition.new.ask_category")


def preview(a: Asking[PetitionRules]) -> str:
    parts = [
        a.tr("petition.new.preview"),
        "",
        a.tr("petition.card.heading", title=a.data.get("title", "")),
        a.tr("petition.card.author", name=(a.resident.full_name if a.resident else "") or ""),
    ]
    if a.data.get("category"):
        parts.append(a.tr("petition.card.category", category=a.data["category"]))
    parts += ["", a.tr("petition.card.body", text=a.data.get("text", ""))]
    return "\n".join(parts)


def submitted_screen(tr: Texts, petition: Petition, actions: ResidentActions) -> Screen:
    return Screen(tr("petition.new.submitted", title=petition.title), Keyboard()
                  .row(Button(tr("petition.btn.list_mine"), actions.page(ListKind.MINE)))
                  .row(back_button(tr, actions))
                  .menu(actions.menu(), tr)
                  .build())


def cancelled_screen(tr: Texts, rules: PetitionRules, actions: ResidentActions) -> Screen:
    return Screen(tr("petition.new.cancelled") + "\n\n" + section_text(tr, rules),
                  section_rows(tr, actions))
