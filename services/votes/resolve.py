"""Who is who: roll-call rows and Annex 30 rows matched to deputies, once per import.

A row is matched by its voting-system id, then by the full name, then by surname and
initials (unique among the deputies). A name that matches nobody is reported; only when staff
ask for it is a deputy created from it, once: later spellings of the same name find it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.votes.formats.records import RollRow
from services.votes.models import Deputy, Faction
from services.votes.normalize import (
    UNAFFILIATED_KEY,
    UNAFFILIATED_NAME,
    PersonName,
    clean_text,
    faction_key,
    fold,
    is_placeholder_name,
    person_name,
)
from services.votes.report import ImportProblem


@dataclass(slots=True)
class KnownDeputy:
    id: int | None  # None until a deputy created in this import is written
    name: PersonName
    external_id: str | None = None
    voting_id: str | None = None
    from_roll_call: bool = False
    # Set on deputies planned by the current file, until the file is accepted.
    pending: bool = False


@dataclass(slots=True)
class _Index:
    by_voting_id: dict[str, KnownDeputy] = field(default_factory=dict)
    by_external_id: dict[str, KnownDeputy] = field(default_factory=dict)
    by_full: dict[str, list[KnownDeputy]] = field(default_factory=dict)
    by_short: dict[str, list[KnownDeputy]] = field(default_factory=dict)

    def add(self, deputy: KnownDeputy) -> None:
        if deputy.voting_id:
            self.by_voting_id[deputy.voting_id] = deputy
        if deputy.external_id:
            self.by_external_id[deputy.external_id] = deputy
        if deputy.name.full_key:
            self.by_full.setdefault(deputy.name.full_key, []).append(deputy)
        self.by_short.setdefault(deputy.name.short_key, []).append(deputy)

    def remove(self, deputy: KnownDeputy) -> None:
        for table in (self.by_voting_id, self.by_external_id):
            for key in [k for k, v in table.items() if v is deputy]:
                del table[key]
        for lists in (self.by_full, self.by_short):
            for bucket in lists.values():
                if deputy in bucket:
                    bucket.remove(deputy)


class DeputyDirectory:
    """The council's deputies in memory for one import, with a cache of resolved names."""

    def __init__(self) -> None:
        self.index = _Index()
        # (voting id, name as printed) -> deputy, or None for a placeholder seat.
        self.resolved: dict[tuple[str | None, str | None], KnownDeputy | None] = {}
        self._pending: list[KnownDeputy] = []
        self.factions: dict[str, int] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> DeputyDirectory:
        directory = cls()
        rows = await session.execute(select(
            Deputy.id, Deputy.family_name, Deputy.given_name, Deputy.patronymic,
            Deputy.short_name, Deputy.external_id, Deputy.voting_id, Deputy.source,
        ))
        for row in rows:
            if row.given_name:
                name = person_name(" ".join(p for p in (row.family_name, row.given_name,
                                                        row.patronymic) if p))
            else:
                name = person_name(row.short_name)
            directory.index.add(KnownDeputy(row.id, name, row.external_id, row.voting_id,
                                            row.source == "roll_call"))
        directory.factions = {k: i for k, i in await session.execute(
            select(Faction.key, Faction.id))}
        return directory

    # ---- matching ----------------------------------------------------------------------

    def match_name(self, name: PersonName) -> list[KnownDeputy]:
        """Deputies this name can be: the full name if known, else surname + initials."""
        if name.full_key:
            exact = self.index.by_full.get(name.full_key, [])
            if exact:
                return list(exact)
        candidates = self.index.by_short.get(name.short_key, [])
        if name.full_key:
            # A deputy known by initials only may be this person; one with another full
            # name is not.
            candidates = [c for c in candidates if c.name.full_key in (None, name.full_key)]
        return list(candidates)

    def resolve(self, row: RollRow, create: bool) -> KnownDeputy | None:
        """The deputy of a roll-call row; None for a placeholder seat. Raises ImportProblem."""
        cache_key = (row.voter_id, row.name)
        if cache_key in self.resolved:
            return self.resolved[cache_key]
        found: KnownDeputy | None = None
        if row.voter_id:
            found = self.index.by_voting_id.get(row.voter_id)
            if found is None and row.name is None:
                raise ImportProblem("votes.error.unknown_voter_id", value=row.voter_id)
        if found is None:
            if row.name is None or is_placeholder_name(row.name):
                self.resolved[cache_key] = None
                return None
            name = person_name(row.name)
            candidates = self.match_name(name)
            if len(candidates) > 1:
                raise ImportProblem("votes.error.ambiguous_name", name=clean_text(row.name),
                                    count=len(candidates))
            if candidates:
                found = candidates[0]
            elif create:
                found = KnownDeputy(None, name, voting_id=row.voter_id, from_roll_call=True,
                                    pending=True)
                self.index.add(found)
                self._pending.append(found)
            else:
                raise ImportProblem("votes.error.unknown_deputy", name=clean_text(row.name))
        self.resolved[cache_key] = found
        return found

    # ---- the current file's new deputies -----------------------------------------------

    def abort_file(self) -> None:
        """Forget the deputies a refused file would have created."""
        for deputy in self._pending:
            self.index.remove(deputy)
        self.resolved = {k: v for k, v in self.resolved.items() if v is None or not v.pending}
        self._pending = []

    async def accept_file(self, session: AsyncSession) -> list[str]:
        """Write the deputies the accepted file created; returns their names."""
        created = self._pending
        self._pending = []
        if not created:
            return []
        rows = [_roll_call_deputy(d) for d in created]
        ids = (await session.execute(
            insert(Deputy).returning(Deputy.id, sort_by_parameter_order=True), rows
        )).scalars().all()
        for deputy, new_id in zip(created, ids, strict=True):
            deputy.id = new_id
            deputy.pending = False
        return [d.name.display for d in created]

    # ---- factions ----------------------------------------------------------------------

    async def faction_id(self, session: AsyncSession, raw: str | None) -> int | None:
        """The faction of an Annex 30 row, created on first sight; None if not given."""
        if raw is None:
            return None
        key = faction_key(raw)
        if key not in self.factions:
            unaffiliated = key == UNAFFILIATED_KEY
            self.factions[key] = (await session.execute(
                insert(Faction).values(name=UNAFFILIATED_NAME if unaffiliated else clean_text(raw),
                                       key=key, is_unaffiliated=unaffiliated)
                .returning(Faction.id)
            )).scalar_one()
        return self.factions[key]


def _roll_call_deputy(deputy: KnownDeputy) -> dict[str, object]:
    name = deputy.name
    return {
        "family_name": name.family, "given_name": name.given, "patronymic": name.patronymic,
        "full_name": name.display, "short_name": name.short, "name_key": name.short_key,
        "full_key": name.full_key, "search_key": fold(name.display),
        "voting_id": deputy.voting_id, "source": "roll_call",
    }
