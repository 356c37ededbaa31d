"""What the votes routers share: who is staff, who acts, the input states, the FSM keys."""

from __future__ import annotations

import re
from typing import Any

from aiogram.filters import Filter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import TelegramObject

from handlers.votes.callbacks import NAV
from handlers.votes.screens_nav import VotesNav
from services.accounts import Account
from services.models import Role
from services.votes.access import STAFF_ROLES, Actor

# FSM data keys: the last searches (their pages are read back from here) and the upload
# waiting for staff to confirm its import.
QUERY_KEY = "votes_query"
NAMES_KEY = "votes_names"
COMPARE_KEY = "votes_compare"
UPLOAD_KEY = "votes_upload"
LINK_KEY = "votes_link_event"

nav: VotesNav = NAV

_NUMBER = re.compile(r"\d{1,4}")


class VotesInput(StatesGroup):
    words = State()  # words of a decision
    name = State()  # a deputy's name (to open a card, or to compare with)
    file = State()  # staff: the vote file, as a document
    petition = State()  # staff: the number of the petition a decision answers


def is_staff(roles: frozenset[Role]) -> bool:
    return bool(roles & STAFF_ROLES)


class IsVotesStaff(Filter):
    """Passes for the staff roles that import and publish votes (services.votes.access)."""

    async def __call__(self, event: TelegramObject, roles: frozenset[Role] = frozenset(),
                       **_: Any) -> bool:
        return is_staff(roles)


def actor_of(account: Account) -> Actor:
    """The staff member acting: the update's messenger account (on Viber the user id the
    roles were granted to, not the integer alias the handlers see)."""
    return Actor(account.channel, account.external_id)


def district_number(name: str | None) -> int | None:
    """The electoral district a resident's district name carries ("Округ №5" → 5), if any."""
    match = _NUMBER.search(name or "")
    return int(match.group()) if match else None
