"""The council votes feature's declaration: residents browse sessions, decisions, roll calls
and deputies, follow deputies and subscribe to "council votes"; staff upload vote files in
the chat, preview and import them, and publish sessions (services/votes)."""

from __future__ import annotations

from typing import Any

from handlers.kit.feature import Command, Feature, MenuEntry
from handlers.votes import browse, deputies, staff
from services.votes.rules import VotesLimits


def votes_limits(values: Any) -> VotesLimits:
    """VOTES_MAX_FILE_MB, VOTES_MAX_UNPACKED_MB, VOTES_MAX_ZIP_MEMBERS as the importer's limits."""
    return VotesLimits.from_megabytes(values.votes_max_file_mb, values.votes_max_unpacked_mb,
                                      values.votes_max_zip_members)


feature = Feature(
    name="votes",
    routers=lambda: (browse.router(), deputies.router(), staff.router()),
    menu=MenuEntry("votes", order=40),
    commands=(Command("votes", order=45),),
    settings=votes_limits,
)
