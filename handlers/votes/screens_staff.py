"""Staff screens: upload a vote file, its preview (what an import would do, nothing saved)
with the import options it calls for, the import's report, sessions awaiting publication,
the votes held back for review, and publishing. Pure, as screens are."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.kit.clip import MESSAGE_MAX, clip_html, clip_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import pager_row
from handlers.kit.screen import Button, Screen, Translate
from handlers.votes.screens import (
    dates_text,
    decision_button,
    decision_text,
    fit,
    label,
)
from handlers.votes.screens_nav import (
    Section,
    StaffSection,
    StaffSessionAction,
    StaffVoteAction,
    VotesNav,
)
from services.i18n import Texts
from services.timeutil import format_datetime
from services.votes.importer import ImportOptions
from services.votes.notices import Announced
from services.votes.petition_links import LinkedPetition
from services.votes.publishing import FlaggedVote, SessionState
from services.votes.queries import DecisionCard, SessionLine
from services.votes.report import FileStatus, ImportReport, render_report
from services.votes.views import DecisionLine, Page

# The option each refusal calls for: offered when the preview met that refusal.
OFFERS = {
    StaffSection.UNKNOWN: "votes.error.unknown_deputy",
    StaffSection.PARTIAL: "votes.error.zip_not_imported",
    StaffSection.LENIENT: "votes.error.json_control",
}
_OPTION_FIELD = {StaffSection.UNKNOWN: "add_unknown_deputies",
                 StaffSection.PARTIAL: "partial_zip", StaffSection.LENIENT: "lenient_json"}


def option_field(toggle: StaffSection) -> str:
    return _OPTION_FIELD[toggle]


def staff_home(tr: Translate, nav: VotesNav, waiting: int) -> Screen:
    kb = Keyboard()
    kb.add(Button(tr("votes.staff.btn.upload"), nav.staff(StaffSection.UPLOAD)),
           Button(tr("votes.staff.btn.sessions"), nav.staff(StaffSection.SESSIONS))).adjust(2)
    kb.back(nav.home(), tr)
    return Screen(tr("votes.staff.title", waiting=waiting), kb.build())


def upload_prompt(tr: Translate, nav: VotesNav, max_mb: int, *, problem: str | None = None
                  ) -> Screen:
    text = tr("votes.staff.upload", max_mb=max_mb)
    if problem:
        text = f"{problem}\n\n{text}"
    return Screen(text, Keyboard().back(nav.staff(StaffSection.HOME), tr).build())


def _report_text(tr: Texts, report: ImportReport) -> str:
    return "\n".join(render_report(tr, report))


def _fits(head: str, body: str, tail: str = "") -> str:
    """Head and tail whole, the report clipped between them to the message limit."""
    room = MESSAGE_MAX - len(head) - len(tail) - 4
    return "\n\n".join(p for p in (head, clip_html(body, room), tail) if p)


def preview(tr: Texts, nav: VotesNav, name: str, report: ImportReport,
            options: ImportOptions) -> Screen:
    """What importing the file would do, with the options its refusals call for."""
    keys = {i.key for f in report.files for i in f.issues}
    importable = any(f.status == FileStatus.IMPORTED for f in report.files)
    kb = Keyboard()
    if importable:
        kb.row(Button(tr("votes.staff.btn.import"), nav.staff(StaffSection.IMPORT)))
    for toggle, key in OFFERS.items():
        on = bool(getattr(options, option_field(toggle)))
        if on or key in keys:
            kb.row(Button(tr(f"votes.staff.option.{toggle.value}",
                             state=tr("votes.staff.on" if on else "votes.staff.off")),
                          nav.staff(toggle)))
    kb.row(Button(tr("votes.staff.btn.cancel"), nav.staff(StaffSection.CANCEL)))
    head = tr("votes.staff.preview", name=clip_text(name, 100))
    tail = tr("votes.staff.preview_ok" if importable else "votes.staff.preview_nothing")
    return Screen(_fits(head, _report_text(tr, report), tail), kb.build())


def imported(tr: Texts, nav: VotesNav, report: ImportReport) -> Screen:
    kb = Keyboard()
    kb.add(Button(tr("votes.staff.btn.sessions"), nav.staff(StaffSection.SESSIONS)),
           Button(tr("votes.staff.btn.upload_more"), nav.staff(StaffSection.UPLOAD))).adjust(2)
    kb.back(nav.staff(StaffSection.HOME), tr)
    return Screen(_fits(tr("votes.staff.imported"), _report_text(tr, report)), kb.build())


def cancelled(tr: Translate, nav: VotesNav) -> Screen:
    return Screen(tr("votes.staff.cancelled"),
                  Keyboard().back(nav.staff(StaffSection.HOME), tr).build())


def staff_sessions(tr: Translate, nav: VotesNav, page: Page[SessionLine]) -> Screen:
    kb = Keyboard()
    kb.add(*(Button(label(f"{'✅' if s.published else '🕓'} "
                          f"{dates_text(s.date_from, s.date_until)} · {s.label}"),
                    nav.staff_session(s.id, StaffSessionAction.OPEN)) for s in page.items))
    kb.row(*pager_row(page, lambda p: nav.staff(StaffSection.SESSIONS, p), tr, counter=True))
    kb.back(nav.staff(StaffSection.HOME), tr)
    text = tr("votes.staff.sessions") if page.total else tr("votes.sessions.empty")
    return Screen(text, kb.build())


def session_text(tr: Translate, state: SessionState) -> str:
    lines = [tr("votes.session.title", session=state.label,
                dates=dates_text(state.date_from, state.date_until), votes=state.votes)]
    if state.published and state.published_at is not None:
        lines.append(tr("votes.staff.published_at", when=format_datetime(state.published_at)))
    else:
        lines.append(tr("votes.staff.not_published"))
    if state.flagged:
        lines.append(tr("votes.staff.flagged", flagged=state.flagged,
                        unconfirmed=state.unconfirmed))
    return "\n".join(lines)


def staff_session(tr: Translate, nav: VotesNav, state: SessionState) -> Screen:
    kb = Keyboard()
    kb.add(Button(tr("votes.staff.btn.decisions"),
                  nav.staff_session(state.id, StaffSessionAction.DECISIONS)),
           Button(tr("votes.staff.btn.flagged", count=state.flagged),
                  nav.staff_session(state.id, StaffSessionAction.FLAGGED))
           if state.flagged else None).adjust(2)
    if state.can_publish:
        kb.row(Button(tr("votes.staff.btn.publish"),
                      nav.staff_session(state.id, StaffSessionAction.ASK)))
    if state.published:
        kb.row(Button(tr("votes.staff.btn.public_view"), nav.session(state.id)))
    kb.back(nav.staff(StaffSection.SESSIONS), tr)
    return Screen(session_text(tr, state), kb.build())


def staff_decisions(tr: Translate, nav: VotesNav, state: SessionState,
                    page: Page[DecisionLine]) -> Screen:
    kb = Keyboard()
    kb.add(*(decision_button(d, nav.staff_vote(d.id)) for d in page.items))
    kb.row(*pager_row(page, lambda p: nav.staff_session(state.id, StaffSessionAction.DECISIONS,
                                                        p), tr, counter=True))
    kb.back(nav.staff_session(state.id, StaffSessionAction.OPEN), tr)
    return Screen(session_text(tr, state), kb.build())


def _counts(values: Sequence[int]) -> str:
    return " / ".join(str(v) for v in values)


def flagged(tr: Translate, nav: VotesNav, state: SessionState,
            votes: Sequence[FlaggedVote]) -> Screen:
    lines = [tr("votes.staff.flagged_title", session=state.label), tr("votes.staff.flagged_legend")]
    kb = Keyboard()
    for v in votes:
        mark = "☑️" if v.confirmed else "⚠️"
        lines.append(tr("votes.staff.flagged_line", mark=mark, title=clip_text(v.title, 120),
                        published=_counts(v.published), roll_call=_counts(v.roll_call)))
        kb.add(Button(label(f"{mark} {v.title}"), nav.staff_vote(v.event_id)))
    kb.back(nav.staff_session(state.id, StaffSessionAction.OPEN), tr)
    return Screen(clip_html("\n".join(lines), MESSAGE_MAX), kb.build())


def staff_vote(tr: Translate, nav: VotesNav, card: DecisionCard,
               petition: LinkedPetition | None = None, *, note: str | None = None) -> Screen:
    kb = Keyboard()
    if card.needs_review and not card.confirmed and not card.published:
        kb.row(Button(tr("votes.staff.btn.confirm"),
                      nav.staff_vote(card.id, StaffVoteAction.CONFIRM)))
    if petition is None:
        kb.row(Button(tr("votes.staff.btn.link"), nav.staff_vote(card.id, StaffVoteAction.LINK)))
    else:
        kb.row(Button(tr("votes.staff.btn.unlink", number=petition.number or "—"),
                      nav.staff_vote(card.id, StaffVoteAction.UNLINK)))
    if card.published:
        kb.row(Button(tr("votes.staff.btn.public_view"), nav.decision(card.id)))
    kb.back(nav.staff_session(card.session_id, StaffSessionAction.DECISIONS), tr)
    text = decision_text(tr, card, petition)
    return Screen(fit(f"{note}\n\n{text}") if note else text, kb.build())


def link_prompt(tr: Translate, nav: VotesNav, event_id: int, *, problem: str | None = None
                ) -> Screen:
    text = tr("votes.staff.link_ask")
    if problem:
        text = f"{problem}\n\n{text}"
    return Screen(text, Keyboard().back(nav.staff_vote(event_id), tr).build())


def publish_ask(tr: Translate, nav: VotesNav, state: SessionState, subscribers: int) -> Screen:
    kb = Keyboard()
    kb.row(Button(tr("votes.staff.btn.publish_yes"),
                  nav.staff_session(state.id, StaffSessionAction.PUBLISH)))
    kb.back(nav.staff_session(state.id, StaffSessionAction.OPEN), tr)
    return Screen(tr("votes.staff.publish_ask", session=state.label, votes=state.votes,
                     subscribers=subscribers), kb.build())


def published(tr: Translate, nav: VotesNav, state: SessionState, announced: Announced
              ) -> Screen:
    kb = Keyboard()
    kb.row(Button(tr("votes.staff.btn.public_view"), nav.session(state.id)))
    kb.row(Button(tr("votes.btn.home"), nav.section(Section.HOME)))
    kb.back(nav.staff(StaffSection.SESSIONS), tr)
    return Screen(tr("votes.staff.published", session=state.label,
                     summaries=announced.summaries, notes=announced.follower_notes),
                  kb.build())
