"""A new announcement, on the wizard: text (or a photo) → audience → district → summary.

What the officer typed lives in the database draft (DraftKind.BROADCAST), not in the FSM data:
a restart in the middle of the dialog loses nothing. The summary shows how many it reaches
(nobody: back to the audience); "schedule" asks when (an aside of the wizard), "urgent"
flips; "send" claims the draft (a double press sends once) and queues the start task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.broadcasts import screens, tracking
from handlers.broadcasts.callbacks import ACTIONS, SummaryAction, SummaryCB
from handlers.kit.aiogram_wizard import AiogramDialog, WizardRouter
from handlers.kit.screen import MediaKind, Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from handlers.kit.wizard_callbacks import WizardAction, WizardCB
from services import broadcasts, events
from services.accounts import Account
from services.broadcasts import BroadcastRules
from services.drafts import DraftKind
from services.errors import InvalidInput
from services.events import Topic
from services.events.subscriptions import ALL_TOPICS, parse_topic, topic_name
from services.models import Channel, Draft
from services.timeutil import as_utc

WIZARD = "broadcast"


class BroadcastForm(StatesGroup):
    text = State()
    audience = State()
    district = State()
    confirm = State()
    schedule = State()


Ask = Asking[BroadcastRules]


class Announcement(NamedTuple):
    text: str
    photo: str | None


def _announcement(rules: BroadcastRules, answer: Answer) -> Announcement:
    """A text, or one photo with its caption (a shorter limit)."""
    if answer.file_kind is MediaKind.PHOTO:
        caption = broadcasts.validate_text(answer.caption or "", has_photo=True, rules=rules)
        return Announcement(caption, answer.file_id)
    if answer.text is not None:
        return Announcement(broadcasts.validate_text(answer.text, has_photo=False, rules=rules),
                            None)
    # A document, sticker, video...: not something an announcement can carry.
    raise InvalidInput("press.bc.photo_wrong")


def _topic(_rules: BroadcastRules, answer: Answer) -> str:
    return parse_topic(answer.text or "").value


def _district(rules: BroadcastRules, answer: Answer) -> str | None:
    return broadcasts.validate_district(answer.text, rules.districts)


def _when(_rules: BroadcastRules, answer: Answer) -> str:
    return as_utc(events.parse_starts_at(answer.text)).isoformat()


async def _count(turn: Turn[BroadcastRules], draft: Draft) -> Mapping[str, Any]:
    """How many the summary's audience reaches; nobody sends the officer back to choose."""
    audience = broadcasts.draft_audience(draft.data)
    count = await broadcasts.count_audience(turn.session, audience)
    if count == 0:
        raise InvalidInput("broadcasts.audience_empty")
    viber = await broadcasts.viber_share(turn.session, audience)
    return {"count": count, "viber": viber.recipients, "viber_billable": viber.billable}


def _author(turn: Turn[BroadcastRules]) -> tuple[str, Channel]:
    """Where the final report goes: the chat the officer composed it in, on its messenger
    (on Viber the chat is the Viber id behind the alias the handlers see)."""
    dialog = turn.dialog
    assert isinstance(dialog, AiogramDialog)
    account = dialog.account
    if account is None:  # every update with a sender has one (UserContextMiddleware)
        sender = dialog.event.from_user
        assert sender is not None
        account = Account.telegram(sender.id)
    return account.chat_id, Channel(account.channel)


async def _send(turn: Turn[BroadcastRules], version: int | None) -> screens.Sent:
    chat_id, channel = _author(turn)
    broadcast = await broadcasts.send_draft(
        turn.session, turn.actor, version=version, author_chat_id=chat_id,
        author_language=turn.tr.language, rules=turn.rules, author_channel=channel)
    if broadcast.scheduled_at is None:
        return screens.Sent(broadcast)
    return screens.Sent(broadcast, await broadcasts.count_audience(
        turn.session, broadcasts.Audience(Topic(broadcast.topic) if broadcast.topic else None,
                                          broadcast.district)))


def _sent(a: Ask, sent: screens.Sent) -> Screen:
    return screens.sent_screen(a.tr, sent, ACTIONS)


wizard: Wizard[BroadcastRules] = Wizard(
    name=WIZARD,
    kind=DraftKind.BROADCAST,
    rules=BroadcastRules,
    steps=(
        Step("text", lambda a: a.tr("press.bc.text_ask", limit=a.rules.text_max),
             parse=_announcement, fields=lambda v: broadcasts.text_fields(v.text, v.photo)),
        Step("audience", lambda a: a.tr("press.bc.audience_ask"), parse=_topic,
             options=lambda _rules: [t.value for t in ALL_TOPICS],
             option_label=lambda tr, value: topic_name(tr, Topic(value)),
             skip="press.bc.everyone",
             fields=lambda v: broadcasts.topic_fields(Topic(v) if v else None)),
        Step("district", lambda a: a.tr("press.bc.district_ask"), parse=_district,
             skip="press.bc.all_districts"),
    ),
    confirm=Confirm("confirm", lambda a: screens.summary_text(a.tr, a.data), submit=_send,
                    done=_sent, prepare=_count,
                    retry={"broadcasts.audience_empty": "audience",
                           "broadcasts.time_past": "schedule"},
                    submit_label=lambda a: screens.send_label(a.tr, a.data),
                    buttons=lambda a: screens.summary_rows(a.tr, a.data, ACTIONS)),
    asides=(Step("schedule", lambda a: a.tr("press.bc.schedule_ask",
                                             example=events.example_time()),
                 parse=_when, fields=lambda v: {"scheduled_at": v}),),
    progress=screens.progress_line,
    joiner=" ",
    labels=Labels(cancel="press.abort", submit="press.bc.send_now",
                  use_buttons="press.bc.use_buttons", stale="common.stale_button"),
    cancelled=lambda a: screens.aborted_screen(a.tr, ACTIONS),
)


def router() -> Router:
    """/broadcast, the summary's own buttons, "send" (which starts the progress tracker) and
    the wizard's answers and buttons (press staff: the parent filters)."""
    binding = WizardRouter(wizard, BroadcastForm)
    at_summary = StateFilter(BroadcastForm.confirm)

    async def broadcast_new(message: Message, **data: Any) -> None:
        await binding.start(message, data)

    async def urgent(query: CallbackQuery, **data: Any) -> None:
        turn = binding.turn(query, data)
        draft = await broadcasts.draft_toggle_urgent(turn.session, turn.actor)
        await turn.session.commit()
        await wizard.ask(turn, draft)

    async def schedule(query: CallbackQuery, **data: Any) -> None:
        await wizard.open(binding.turn(query, data), "schedule")

    async def send(query: CallbackQuery, callback_data: WizardCB, **data: Any) -> None:
        """The wizard's submit, then the progress message edited in place while it goes."""
        turn = binding.turn(query, data)
        sent = await wizard.submit(turn, callback_data.version or None)
        shown = turn.dialog.shown if isinstance(turn.dialog, AiogramDialog) else None
        if (isinstance(sent, screens.Sent) and sent.broadcast.scheduled_at is None
                and shown is not None and data["progress_tracking"].enabled):
            tracking.track(data["bot"], data["sessionmaker"], data["translator"],
                           turn.tr.language, shown.chat.id, shown.message_id, sent.broadcast.id)

    composing = Router(name="broadcasts-compose")
    composing.message.register(broadcast_new, Command("broadcast"))
    composing.callback_query.register(urgent, at_summary,
                                      SummaryCB.filter(F.action == SummaryAction.URGENT))
    composing.callback_query.register(schedule, at_summary,
                                      SummaryCB.filter(F.action == SummaryAction.SCHEDULE))
    composing.callback_query.register(send, at_summary, WizardCB.filter(
        (F.wizard == WIZARD) & (F.action == WizardAction.SUBMIT)))
    composing.include_router(binding.router)
    return composing
