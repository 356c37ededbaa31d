"""The moderators' dialogs about one appeal, on the wizard, each opened from the appeal's card:
extend (a new date, then the reason), return (the reason), answer (the text, then a file or
none), merge (the number of the appeal to merge it into).

The appeal's id comes once, from the card's button: `bind` checks it (the appeal exists, its
status allows the action) and keeps it in the draft (DraftKind.STAFF_APPEAL, one per staff
account, so a restart mid-dialog loses nothing); no later button carries it. The last answer
files the action (no summary): the service checks the appeal's status once more in that
transaction, and the staff router's HasRole filter (staff.py) checks the moderator's role on
every update of the dialog. Cancel goes back to the card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery

from handlers.appeals import screens_staff as screens
from handlers.appeals.actions import StaffAction
from handlers.appeals.callbacks import STAFF, StaffAppealCB
from handlers.appeals.staff_card import card_view
from handlers.kit.aiogram_wizard import WizardRouter
from handlers.kit.screen import Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from services import appeals, drafts
from services.appeals import Appeal, AppealRules, AppealStatus, AttachmentKind
from services.drafts import DraftKind, Owner
from services.errors import InvalidInput, NotFound
from services.timeutil import format_date

APPEAL = "appeal"  # the draft key of the appeal the dialog is bound to
STALE = "common.stale_button"

Ask = Asking[AppealRules]
StaffTurn = Turn[AppealRules]
Bind = Callable[[StaffTurn, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]
Submit = Callable[[StaffTurn, int | None], Awaitable[screens.CardView]]


class StaffAppealForm(StatesGroup):
    """One state per step of the four dialogs (the names they had before the wizard)."""

    extend_date = State()
    extend_reason = State()
    return_reason = State()
    answer_text = State()
    answer_file = State()
    merge_target = State()


# --- the appeal the dialog is bound to ---------------------------------------------------


def bound(data: Mapping[str, Any]) -> int:
    """The appeal id kept in the draft (a button of a dialog that is over has none)."""
    appeal_id = data.get(APPEAL)
    if not isinstance(appeal_id, int):
        raise NotFound(STALE)
    return appeal_id


def _require_move(appeal: Appeal, target: AppealStatus) -> None:
    if not appeals.can_move(appeal.status, target):
        raise InvalidInput("appeals.error.transition", number=appeal.number)


def _binder(check: Callable[[Appeal, AppealRules], None], dates: bool = False) -> Bind:
    """Open a dialog on the pressed card's appeal if `check` lets it; the draft's values."""

    async def bind(turn: StaffTurn, context: Mapping[str, Any]) -> Mapping[str, Any]:
        appeal = await appeals.get(turn.session, int(context.get(APPEAL) or 0))
        check(appeal, turn.rules)
        values: dict[str, Any] = {APPEAL: appeal.id, "number": appeal.number}
        if dates:
            values.update(deadline=appeal.deadline.isoformat(),
                          latest=appeals.latest_deadline(appeal, turn.rules).isoformat())
        return values

    return bind


async def _claimed(turn: StaffTurn, version: int | None) -> dict[str, Any]:
    """Take the draft (compare-and-set: a second press files nothing more)."""
    claimed = await drafts.claim(turn.session, Owner.staff(turn.actor),
                                 DraftKind.STAFF_APPEAL, version)
    return claimed.data


async def _back_to_card(turn: StaffTurn, data: Mapping[str, Any]) -> Screen:
    return screens.card(turn.tr, STAFF, await card_view(turn.session, bound(data)))


def _card(a: Ask, view: screens.CardView) -> Screen:
    return screens.card(a.tr, STAFF, view)


def _dialog(name: str, steps: tuple[Step[AppealRules], ...], bind: Bind, submit: Submit,
            retry: Mapping[str, str] | None = None) -> Wizard[AppealRules]:
    return Wizard(
        name=name, kind=DraftKind.STAFF_APPEAL, rules=AppealRules, steps=steps,
        confirm=Confirm("filed", lambda a: "", submit=submit, done=_card, at_last_answer=True,
                        retry=retry or {}),
        progress=lambda tr, k, n: tr("appeals.step", k=k, n=n),
        labels=Labels(cancel="common.cancel", submit="", use_buttons="appeals.use_buttons",
                      stale=STALE, back="common.back"),
        back_to=_back_to_card, bind=bind,
    )


def _reason(rules: AppealRules, answer: Answer) -> str:
    return appeals.validate_reason(rules, answer.text)


# --- extend: a new date (typed, or the latest the law allows), then the reason -----------


def _parse_date(_rules: AppealRules, answer: Answer) -> date:
    return appeals.parse_date(answer.text)


async def _verify_date(turn: StaffTurn, data: Mapping[str, Any], value: date) -> str:
    appeal = await appeals.get(turn.session, bound(data))
    appeals.check_extension(appeal, turn.rules, value)
    return appeals.extension_deadline(value).isoformat()


def _ask_reason(a: Ask) -> str:
    return a.tr("appeals.admin.ask_extend_reason",
                date=format_date(date.fromisoformat(a.data["date"])))


async def _extend(turn: StaffTurn, version: int | None) -> screens.CardView:
    data = await _claimed(turn, version)
    appeal = await appeals.extend(turn.session, turn.rules, turn.actor, bound(data),
                                  new_deadline=date.fromisoformat(data["date"]),
                                  reason=data.get("reason") or "")
    return await card_view(turn.session, appeal.id, turn.tr(
        "appeals.admin.extended", deadline=format_date(appeal.deadline)))


EXTEND = _dialog(
    "appeal_extend",
    (Step("extend_date", lambda a: screens.ask_extend_date(a.tr, a.data), parse=_parse_date,
          verify=_verify_date, suggest=lambda a: (screens.latest_shown(a.data),),
          fields=lambda value: {"date": value}),
     Step("extend_reason", _ask_reason, parse=_reason, fields=lambda value: {"reason": value})),
    _binder(appeals.check_extension, dates=True), _extend,
    # The day moved on between the date and the reason: the date is asked again.
    retry={"appeals.error.extend_not_later": "extend_date",
           "appeals.error.extend_cap": "extend_date"},
)


# --- return: the reason --------------------------------------------------------------------


async def _return(turn: StaffTurn, version: int | None) -> screens.CardView:
    data = await _claimed(turn, version)
    appeal = await appeals.return_appeal(turn.session, turn.rules, turn.actor, bound(data),
                                         data.get("reason") or "")
    return await card_view(turn.session, appeal.id, turn.tr("appeals.admin.done"))


RETURN = _dialog(
    "appeal_return",
    (Step("return_reason", lambda a: a.tr("appeals.admin.ask_return_reason",
                                          number=a.data.get("number", "")),
          parse=_reason, fields=lambda value: {"reason": value}),),
    _binder(appeals.check_returnable), _return,
)


# --- answer: the text, then a document or a photo, or none ---------------------------------


def _parse_file(rules: AppealRules, answer: Answer) -> dict[str, str]:
    if answer.file_id is None or answer.file_kind is None:
        raise InvalidInput("appeals.admin.answer_file_expected")
    info = appeals.validate_file(rules, appeals.FileInfo(
        answer.file_id, AttachmentKind(answer.file_kind.value), answer.mime, answer.size))
    return {"id": info.file_id, "kind": info.kind.value}


async def _answer(turn: StaffTurn, version: int | None) -> screens.CardView:
    data = await _claimed(turn, version)
    file: Mapping[str, str] = data.get("file") or {}
    appeal = await appeals.answer(
        turn.session, turn.rules, turn.actor, bound(data), data.get("text") or "",
        file_id=file.get("id"), file_kind=AttachmentKind(file["kind"]) if file else None)
    return await card_view(turn.session, appeal.id, turn.tr("appeals.admin.answered"))


ANSWER = _dialog(
    "appeal_answer",
    (Step("answer_text", lambda a: a.tr("appeals.admin.ask_answer",
                                        number=a.data.get("number", "")),
          parse=lambda rules, answer: appeals.validate_text(rules, answer.text),
          fields=lambda value: {"text": value}),
     Step("answer_file", lambda a: a.tr("appeals.admin.ask_answer_file"), parse=_parse_file,
          skip="appeals.admin.send_without_file", fields=lambda value: {"file": value})),
    _binder(lambda appeal, _rules: _require_move(appeal, AppealStatus.ANSWERED)), _answer,
)


# --- merge: the number of the appeal to merge into -----------------------------------------


async def _verify_target(turn: StaffTurn, data: Mapping[str, Any], raw: str) -> dict[str, Any]:
    target = await appeals.merge_target(turn.session, bound(data), raw)
    return {"id": target.id, "number": target.number}


async def _merge(turn: StaffTurn, version: int | None) -> screens.CardView:
    data = await _claimed(turn, version)
    target = data.get("target") or {}
    appeal = await appeals.merge(turn.session, turn.actor, bound(data), int(target.get("id", 0)))
    return await card_view(turn.session, appeal.id,
                           turn.tr("appeals.admin.merged", number=target.get("number", "")))


MERGE = _dialog(
    "appeal_merge",
    (Step("merge_target", lambda a: a.tr("appeals.admin.ask_merge",
                                         number=a.data.get("number", "")),
          parse=lambda _rules, answer: answer.text or "", verify=_verify_target,
          fields=lambda value: {"target": value}),),
    _binder(lambda appeal, _rules: _require_move(appeal, AppealStatus.MERGED)), _merge,
)

# The card's button that opens each dialog.
OPENED_BY = {StaffAction.EXTEND: EXTEND, StaffAction.RETURN: RETURN,
             StaffAction.ANSWER: ANSWER, StaffAction.MERGE: MERGE}


def router() -> Router:
    """The card's buttons that open the dialogs, and the dialogs (moderators only: the
    parent router filters)."""
    bindings = {action: WizardRouter(wizard, StaffAppealForm)
                for action, wizard in OPENED_BY.items()}

    async def open_dialog(query: CallbackQuery, callback_data: StaffAppealCB,
                          **data: Any) -> None:
        await bindings[callback_data.action].start(query, data,
                                                   {APPEAL: callback_data.appeal_id})

    async def extend_to_latest(query: CallbackQuery, callback_data: StaffAppealCB,
                               **data: Any) -> None:
        """The "latest date" button of a prompt shown before the dialog was a wizard: the
        extend dialog on that appeal, with the latest date taken."""
        extend = bindings[StaffAction.EXTEND]
        await extend.start(query, data, {APPEAL: callback_data.appeal_id})
        await EXTEND.suggest(extend.turn(query, data), "extend_date", 0)

    dialogs = Router(name="appeals-staff-dialogs")
    dialogs.callback_query.register(open_dialog,
                                    StaffAppealCB.filter(F.action.in_(set(OPENED_BY))))
    dialogs.callback_query.register(extend_to_latest,
                                    StaffAppealCB.filter(F.action == StaffAction.EXTEND_MAX))
    for binding in bindings.values():
        dialogs.include_router(binding.router)
    return dialogs
