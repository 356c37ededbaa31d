"""Creating a poll: the one wizard (handlers/kit/wizard.py), its draft kept in the database.

question → description (optional) → options (one a line) → how many may be chosen →
districts (if the council has any) → opening → closing → results while open? → announce? →
preview → publish. Each answer is checked where it is typed (services.polls.validation) and
the same question comes again with the reason; the preview shows what residents will see,
and publishing checks everything once more. Nothing exists outside the draft before
"Publish"; cancel drops the draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiogram import Router
from aiogram.fsm.state import State, StatesGroup

from handlers.kit.aiogram_wizard import WizardRouter
from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Button, Screen
from handlers.kit.wizard import Answer, Asking, Confirm, Labels, Step, Turn, Wizard
from handlers.polls.callbacks import STAFF_NAV, WIZARD
from handlers.polls.screens import PollFacts, facts_lines
from handlers.polls.staff import staff_of
from services import drafts
from services.db import utcnow
from services.drafts import DraftKind, Owner
from services.errors import InvalidInput
from services.i18n import Raw
from services.models import Draft
from services.polls import manage, validation
from services.polls.access import require_moderator
from services.polls.models import Poll
from services.polls.rules import PollConfig
from services.timeutil import as_utc, format_datetime

Ask = Asking[PollConfig]
RESULTS = ("after", "live")
ANNOUNCE = ("yes", "no")
_SEPARATORS = re.compile(r"[,;\n]")


class PollCreate(StatesGroup):
    question = State()
    description = State()
    options = State()
    choices = State()
    districts = State()
    opens = State()
    closes = State()
    results = State()
    announce = State()
    preview = State()


# ---- the questions -----------------------------------------------------------------------


def _ask_question(a: Ask) -> str:
    return a.tr("polls.new.ask_question", max=a.rules.polls.question_max)


def _ask_description(a: Ask) -> str:
    return a.tr("polls.new.ask_description", max=a.rules.polls.description_max)


def _ask_options(a: Ask) -> str:
    rules = a.rules.polls
    return a.tr("polls.new.ask_options", min=rules.options_min, max=rules.options_max,
                length=rules.option_max)


def _ask_choices(a: Ask) -> str:
    return a.tr("polls.new.ask_choices", count=len(a.data.get("options") or ()))


def _ask_districts(a: Ask) -> str:
    listed = "\n".join(f"{k + 1}. {name}" for k, name in enumerate(a.rules.districts.names))
    return a.tr("polls.new.ask_districts", districts=listed)


def _ask_opens(a: Ask) -> str:
    return a.tr("polls.new.ask_opens")


def _ask_closes(a: Ask) -> str:
    return a.tr("polls.new.ask_closes")


def _ask_results(a: Ask) -> str:
    return a.tr("polls.new.ask_results")


def _ask_announce(a: Ask) -> str:
    return a.tr("polls.new.ask_announce")


# ---- the answers -------------------------------------------------------------------------


def _text(answer: Answer) -> str:
    if answer.text is None:
        raise InvalidInput("polls.error.not_text")
    return answer.text


def _parse_question(rules: PollConfig, answer: Answer) -> str:
    return validation.validate_question(answer.text, rules.polls)


def _parse_description(rules: PollConfig, answer: Answer) -> str | None:
    return validation.validate_description(answer.text, rules.polls)


def _parse_options(rules: PollConfig, answer: Answer) -> list[str]:
    return list(validation.parse_options(answer.text, rules.polls))


def _parse_raw(_rules: PollConfig, answer: Answer) -> str:
    return _text(answer)


def _check_choices(_rules: PollConfig, data: Mapping[str, Any], typed: str) -> int | None:
    """None: one option; 0: any number of them; else the maximum (2..the options)."""
    count = len(data.get("options") or ())
    if typed.strip() == "1":
        return None
    chosen = validation.parse_max_choices(typed, count)
    return 0 if chosen == count else chosen


def _parse_districts(rules: PollConfig, answer: Answer) -> list[str]:
    """Names or their numbers in the list, separated by commas or lines."""
    names = rules.districts.names
    typed = [item.strip() for item in _SEPARATORS.split(_text(answer)) if item.strip()]
    picked = [names[int(item) - 1] if item.isdigit() and 0 < int(item) <= len(names) else item
              for item in typed]
    chosen = validation.validate_districts(picked, rules.districts)
    if not chosen:
        raise InvalidInput("polls.error.districts_empty")
    return list(chosen)


def _parse_opens(_rules: PollConfig, answer: Answer) -> str | None:
    """None: as soon as it is published."""
    text = _text(answer)
    if " ".join(text.split()).casefold() in validation.NOW:
        return None
    return validation.parse_opens_at(text, utcnow()).isoformat()


def _moment(value: Any, default: datetime) -> datetime:
    return as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else default


def _check_closes(_rules: PollConfig, data: Mapping[str, Any], typed: str) -> str:
    now = utcnow()
    opens = _moment(data.get("opens"), now)
    return validation.parse_closes_at(typed, opens, now).isoformat()


def _parse_choice(values: tuple[str, ...]) -> Any:
    def parse(_rules: PollConfig, answer: Answer) -> str:
        if answer.text not in values:
            raise InvalidInput("polls.new.use_buttons")
        return answer.text

    return parse


# ---- preview and publishing --------------------------------------------------------------


def spec_of(data: Mapping[str, Any], now: datetime) -> validation.PollSpec:
    """The poll the draft describes (checked by PollSpec.checked before anything is stored)."""
    options = tuple(data.get("options") or ())
    limit = data.get("choices")  # absent: one option; 0: any number
    multiple = isinstance(limit, int)
    return validation.PollSpec(
        question=str(data.get("question") or ""), options=options,
        opens_at=_moment(data.get("opens"), now), closes_at=_moment(data.get("closes"), now),
        description=data.get("description"), multiple=multiple,
        max_choices=(limit or len(options)) if isinstance(limit, int) else 1,
        districts=tuple(data.get("districts") or ()),
        results_while_open=data.get("results") == "live",
        announce=data.get("announce", "yes") == "yes")


def _preview(a: Ask) -> str:
    now = utcnow()
    spec = spec_of(a.data, now)
    facts = PollFacts(spec.question, spec.description, spec.options, spec.multiple,
                      spec.max_choices, spec.districts, None, None, spec.results_while_open)
    opens = (a.tr("polls.new.opens_now") if a.data.get("opens") is None
             else format_datetime(spec.opens_at))
    lines = [a.tr("polls.new.preview"), "", *facts_lines(a.tr, facts), "",
             a.tr("polls.new.preview_times", opens=opens, closes=format_datetime(spec.closes_at)),
             a.tr("polls.staff.announce_on" if spec.announce else "polls.staff.announce_off")]
    try:
        spec.checked(a.rules.polls, a.rules.districts, now)
    except InvalidInput as err:
        lines += ["", a.tr("polls.new.preview_problem",
                           reason=Raw(a.tr(err.message_key, **err.params)))]
    return "\n".join(lines)


async def _begin(turn: Turn[PollConfig]) -> Draft:
    """Only moderators start; a fresh draft replaces an earlier one."""
    await require_moderator(turn.session, staff_of(turn.actor))
    return await drafts.start(turn.session, Owner.staff(turn.actor), DraftKind.POLL,
                              wizard.active(turn.rules)[0])


async def _submit(turn: Turn[PollConfig], version: int | None) -> Poll:
    """Claim the draft (the version the preview showed) and publish the poll, in one go."""
    staff = staff_of(turn.actor)
    await require_moderator(turn.session, staff)
    claimed = await drafts.claim(turn.session, Owner.staff(turn.actor), DraftKind.POLL, version)
    draft = await manage.create_draft(turn.session, turn.rules.polls, turn.rules.districts,
                                      staff, spec_of(claimed.data, utcnow()))
    return await manage.publish(turn.session, staff, draft.id, draft.version)


def _published(a: Ask, poll: Poll) -> Screen:
    text = a.tr("polls.new.published", question=poll.question,
                opens=format_datetime(as_utc(poll.opens_at)),
                closes=format_datetime(as_utc(poll.closes_at)))
    return Screen(text, Keyboard().row(Button(a.tr("polls.staff.btn.open"),
                                              STAFF_NAV.view(poll.id)))
                  .back(STAFF_NAV.list(), a.tr, "polls.staff.btn.list")
                  .menu(STAFF_NAV.menu(), a.tr).build())


def _cancelled(a: Ask) -> Screen:
    return Screen(a.tr("polls.new.cancelled"),
                  Keyboard().back(STAFF_NAV.list(), a.tr, "polls.staff.btn.list")
                  .menu(STAFF_NAV.menu(), a.tr).build())


wizard: Wizard[PollConfig] = Wizard(
    name=WIZARD,
    kind=DraftKind.POLL,
    rules=PollConfig,
    steps=(
        Step("question", _ask_question, parse=_parse_question),
        Step("description", _ask_description, parse=_parse_description,
             skip="polls.new.btn.no_description"),
        Step("options", _ask_options, parse=_parse_options),
        Step("choices", _ask_choices, parse=_parse_raw, cross_check=_check_choices,
             skip="polls.new.btn.single"),
        Step("districts", _ask_districts, parse=_parse_districts,
             skip="polls.new.btn.whole_city", when=lambda rules: rules.districts.enabled),
        Step("opens", _ask_opens, parse=_parse_opens, skip="polls.new.btn.open_now"),
        Step("closes", _ask_closes, parse=_parse_raw, cross_check=_check_closes),
        Step("results", _ask_results, parse=_parse_choice(RESULTS),
             options=lambda _rules: RESULTS,
             option_label=lambda tr, value: tr(f"polls.new.results_{value}")),
        Step("announce", _ask_announce, parse=_parse_choice(ANNOUNCE),
             options=lambda _rules: ANNOUNCE,
             option_label=lambda tr, value: tr(f"polls.new.announce_{value}")),
    ),
    confirm=Confirm("preview", _preview, submit=_submit, done=_published),
    progress=lambda tr, k, n: tr("polls.new.step", n=k, total=n),
    labels=Labels(cancel="polls.new.btn.cancel", submit="polls.new.btn.publish",
                  restart="polls.new.btn.restart", use_buttons="polls.new.use_buttons",
                  stale="polls.new.stale", back="polls.new.btn.back"),
    cancelled=_cancelled,
    begin=_begin,
)


def router() -> Router:
    """The wizard's router (a fresh binding each time the dispatcher is built)."""
    return WizardRouter(wizard, PollCreate).router
