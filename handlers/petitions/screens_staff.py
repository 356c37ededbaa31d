"""The moderators' petition screens, from plain values: the queue, the petitions awaiting an
answer, one petition with what may be done to it, the reason / answer pickers, the export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import pager_row
from handlers.kit.screen import Button, Media, MediaKind, Screen
from handlers.petitions.actions import StaffAction, StaffActions, StaffList
from handlers.petitions.screens import (
    PAGER,
    author_line,
    clip_label,
    progress_bar,
    status_line,
    title_line,
)
from services import petitions
from services.i18n import Raw, Texts
from services.models import AnswerKind, Petition, PetitionStatus, RejectReason
from services.petitions import Page, PetitionCard, QueueItem
from services.timeutil import format_date, format_datetime

BODY_MAX = 3000
EDITABLE = (PetitionStatus.MODERATION, PetitionStatus.COLLECTING)
EXPORTABLE_NOT = (PetitionStatus.MODERATION, PetitionStatus.REJECTED, PetitionStatus.HIDDEN)


def _waited(tr: Texts, waited: timedelta) -> str:
    if waited >= timedelta(days=1):
        return tr.plural("petition.days", waited.days)
    return tr.plural("petition.hours", int(waited.total_seconds() // 3600))


def _list_keyboard(tr: Texts, buttons: Sequence[Button], result: Page, which: StaffList,
                   other: StaffList, actions: StaffActions) -> Keyboard:
    """One petition a row, the pager, and the way to the other list."""
    return (Keyboard().add(*buttons)
            .row(*pager_row(result, lambda n: actions.page(which, n), tr, texts=PAGER))
            .row(Button(tr(f"petition.admin.btn.{other.value}"), actions.page(other))))


def queue_screen(tr: Texts, items: Sequence[QueueItem], result: Page,
                 actions: StaffActions) -> Screen:
    lines = [tr("petition.admin.queue_title", total=result.total)]
    if not items:
        lines.append(tr("petition.admin.queue_empty"))
    else:
        lines.append(tr("petition.list.page", page=result.page + 1, pages=result.pages))
    for item in items:
        lines += ["", tr("petition.admin.queue_item", title=item.petition.title,
                         filed=format_datetime(item.petition.created_at),
                         waited=Raw(_waited(tr, item.waited)))]
        if item.overdue:
            lines.append(tr("petition.admin.overdue"))
    buttons = [Button(("⚠️ " if i.overdue else "") + clip_label(i.petition.title),
                      actions.petition(StaffAction.VIEW, i.petition.id)) for i in items]
    keyboard = _list_keyboard(tr, buttons, result, StaffList.QUEUE, StaffList.AWAITING, actions)
    return Screen("\n".join(lines), keyboard.build())


def awaiting_screen(tr: Texts, result: Page, actions: StaffActions) -> Screen:
    """Petitions that reached the threshold and wait for (or are getting) an answer."""
    lines = [tr("petition.admin.awaiting_title")]
    shown = [p for p in result.items if p.status in petitions.AWAITING]
    for p in shown:
        lines += ["", tr("petition.list.item", number=p.number or "—", title=p.title),
                  tr(f"petition.status.{p.status}")]
        if p.answer_due_at is not None:
            lines.append(tr("petition.admin.answer_due", due=format_date(p.answer_due_at)))
    if not shown:
        lines.append(tr("petition.list.empty"))
    buttons = [Button(f"№{p.number} " + clip_label(p.title),
                      actions.petition(StaffAction.VIEW, p.id)) for p in shown]
    keyboard = _list_keyboard(tr, buttons, result, StaffList.AWAITING, StaffList.QUEUE, actions)
    return Screen("\n".join(lines), keyboard.build())


def _body(text: str) -> str:
    return text if len(text) <= BODY_MAX else text[: BODY_MAX - 1] + "…"


def petition_screen(tr: Texts, view: PetitionCard, actions: StaffActions) -> Screen:
    """One petition as moderators see it, with the actions its status allows."""
    p = view.petition
    lines = [title_line(tr, p), tr("petition.card.heading", title=p.title),
             author_line(tr, view.author_name),
             tr("petition.admin.filed", filed=format_datetime(p.created_at))]
    if p.category:
        lines.append(tr("petition.card.category", category=p.category))
    lines += ["", tr("petition.card.body", text=_body(p.text)), "", status_line(tr, p)]
    if p.threshold:
        lines.append(progress_bar(p.signature_count, p.threshold) + " "
                     + tr.plural("petition.signatures", p.signature_count)
                     + f" / {p.threshold}")
    if p.answer_due_at is not None and p.status in petitions.AWAITING:
        lines.append(tr("petition.admin.answer_due", due=format_date(p.answer_due_at)))

    def act(action: StaffAction) -> Button:
        return Button(tr(f"petition.admin.btn.{action.value}"), actions.petition(action, p.id))

    keyboard = Keyboard()
    if p.status == PetitionStatus.MODERATION:
        keyboard.row(act(StaffAction.APPROVE), act(StaffAction.REJECT))
    if p.status in EDITABLE:
        keyboard.row(act(StaffAction.EDIT_TITLE), act(StaffAction.EDIT_TEXT))
    if p.status == PetitionStatus.AWAITING_ANSWER:
        keyboard.row(act(StaffAction.CONSIDER))
    if p.status in petitions.AWAITING:
        keyboard.row(act(StaffAction.ANSWER))
    if p.status not in EXPORTABLE_NOT:
        keyboard.row(act(StaffAction.EXPORT))
    keyboard.row(*(Button(tr(f"petition.admin.btn.{which.value}"), actions.page(which))
                   for which in (StaffList.QUEUE, StaffList.AWAITING)))
    return Screen("\n".join(lines), keyboard.build())


def _back(tr: Texts, petition_id: int, actions: StaffActions) -> Button:
    return Button(tr("petition.admin.btn.back"), actions.petition(StaffAction.VIEW, petition_id))


def reasons_screen(tr: Texts, petition: Petition, actions: StaffActions) -> Screen:
    keyboard = Keyboard().add(*(
        Button(tr(f"petition.reason.{r.value}"),
               actions.petition(StaffAction.REASON, petition.id, r.value))
        for r in RejectReason))
    return Screen(tr("petition.admin.reject_ask", title=petition.title),
                  keyboard.row(_back(tr, petition.id, actions)).build())


def comment_screen(tr: Texts, petition_id: int, reason: RejectReason,
                   actions: StaffActions) -> Screen:
    """Ask for a comment to the rejection, or reject without one."""
    return Screen(tr("petition.admin.comment_ask",
                     reason=Raw(tr(f"petition.reason.{reason.value}"))), Keyboard()
                  .row(Button(tr("petition.admin.btn.no_comment"),
                              actions.petition(StaffAction.REJECT_GO, petition_id,
                                               reason.value)))
                  .row(_back(tr, petition_id, actions))
                  .build())


def edit_screen(tr: Texts, petition: Petition, field: str, actions: StaffActions) -> Screen:
    """Ask for the new title or text, showing the current one."""
    current = petition.title if field == "title" else petition.text
    return Screen(tr(f"petition.admin.edit_{field}_ask", current=current),
                  Keyboard().row(_back(tr, petition.id, actions)).build())


def answer_kinds_screen(tr: Texts, petition: Petition, actions: StaffActions) -> Screen:
    keyboard = Keyboard().add(*(
        Button(tr(f"petition.answer_kind.{k.value}"),
               actions.petition(StaffAction.KIND, petition.id, k.value))
        for k in AnswerKind))
    return Screen(tr("petition.admin.answer_kind_ask", title=petition.title),
                  keyboard.row(_back(tr, petition.id, actions)).build())


def answer_text_screen(tr: Texts, petition_id: int, kind: AnswerKind,
                       actions: StaffActions) -> Screen:
    return Screen(tr("petition.admin.answer_text_ask",
                     kind=Raw(tr(f"petition.answer_kind.{kind.value}"))),
                  Keyboard().row(_back(tr, petition_id, actions)).build())


def export_screen(tr: Texts, petition: Petition, data: bytes) -> Screen:
    """The signatures' CSV as a document, with what it is in the caption."""
    name = f"petition_{petition.number or petition.id}_signatures.csv"
    caption = tr("petition.export.caption", title=petition.title,
                 count=Raw(tr.plural("petition.signatures", petition.signature_count)))
    return Screen(caption, media=Media(MediaKind.DOCUMENT, data=data, filename=name))


def export_header(tr: Texts) -> tuple[str, str, str]:
    return (tr("petition.export.name"), tr("petition.export.address"),
            tr("petition.export.date"))
