"""An Annex 30 deputies list: adds deputies, updates those already known, never duplicates.

A row finds its deputy by `id`, then `votingIdentifier`, then the full name, then (for a
deputy so far known only from roll calls as «Прізвище І. Б.») surname and initials.
Deputies missing from a newer list stay: their votes remain theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.votes.formats.records import ParsedDeputy, ParsedFile
from services.votes.models import DEPUTIES_TABLE, Deputy
from services.votes.normalize import compose_name, fold
from services.votes.report import ImportProblem, ProblemList
from services.votes.resolve import DeputyDirectory, KnownDeputy
from services.votes.tallies import rebuild_all_stats

_COMPARED = (
    "family_name", "given_name", "patronymic", "full_name", "short_name", "name_key", "full_key",
    "search_key", "external_id", "voting_id", "faction_id", "faction_post", "district",
    "party_name", "gender", "photo_url", "email", "telephone", "homepage", "opening_hours",
    "source",
)


@dataclass(frozen=True, slots=True)
class DeputiesOutcome:
    new: int
    updated: int
    unchanged: int


def _match(directory: DeputyDirectory, d: ParsedDeputy) -> KnownDeputy | None:
    index = directory.index
    if d.external_id and d.external_id in index.by_external_id:
        return index.by_external_id[d.external_id]
    if d.voting_id and d.voting_id in index.by_voting_id:
        return index.by_voting_id[d.voting_id]
    name = compose_name(d.family_name, d.given_name, d.patronymic)
    if name.full_key:
        same = [k for k in index.by_full.get(name.full_key, []) if not k.external_id]
        if len(same) == 1:
            return same[0]
    by_initials = [k for k in index.by_short.get(name.short_key, [])
                   if k.from_roll_call and k.name.full_key is None]
    return by_initials[0] if len(by_initials) == 1 else None


def _values(d: ParsedDeputy) -> dict[str, Any]:
    name = compose_name(d.family_name, d.given_name, d.patronymic)
    return {
        "family_name": name.family, "given_name": name.given, "patronymic": name.patronymic,
        "full_name": name.display, "short_name": name.short, "name_key": name.short_key,
        "full_key": name.full_key, "search_key": fold(name.display),
        "external_id": d.external_id, "voting_id": d.voting_id,
        "faction_post": d.faction_post, "district": d.district, "party_name": d.party_name,
        "gender": d.gender, "photo_url": d.photo_url, "email": d.email,
        "telephone": d.telephone, "homepage": d.homepage, "opening_hours": d.opening_hours,
        "source": "annex30",
    }


async def apply_deputies(db: AsyncSession, directory: DeputyDirectory, parsed: ParsedFile
                         ) -> DeputiesOutcome:
    """Check every row first (ids taken by another deputy, two rows for one deputy), then
    write; the published statistics are recounted when a known deputy changed faction."""
    problems = ProblemList()
    plans: list[tuple[ParsedDeputy, KnownDeputy | None]] = []
    claimed: dict[int, str] = {}
    for d in parsed.deputies:
        known = _match(directory, d)
        if d.voting_id:
            owner = directory.index.by_voting_id.get(d.voting_id)
            if owner is not None and owner is not known:
                problems.add(ImportProblem("votes.error.voting_id_taken", value=d.voting_id,
                                           name=owner.name.display, where=d.where))
                continue
        if known is not None and known.id is not None:
            first = claimed.setdefault(known.id, d.where)
            if first != d.where:
                problems.add(ImportProblem("votes.error.duplicate_deputy",
                                           name=known.name.display, first=first, where=d.where))
                continue
        plans.append((d, known))
    problems.raise_any()
    ids = [k.id for _, k in plans if k is not None and k.id is not None]
    # Plain rows, not ORM objects: the updates below are Core statements, and objects left in
    # the caller's session would go stale.
    current: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        rows = await db.execute(select(*DEPUTIES_TABLE.c).where(
            DEPUTIES_TABLE.c.id.in_(ids[start:start + 500])))
        for row in rows:
            current[row.id] = row
    new = updated = unchanged = 0
    factions_changed = False
    for d, known in plans:
        values = _values(d)
        values["faction_id"] = await directory.faction_id(db, d.faction)
        if known is None or known.id is None:
            await db.execute(insert(Deputy).values(**values))
            new += 1
            continue
        row = current[known.id]
        for keep in ("external_id", "voting_id"):  # an id the list leaves empty stays known
            if values[keep] is None:
                values[keep] = getattr(row, keep)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v and k in _COMPARED}
        if not changed:
            unchanged += 1
            continue
        factions_changed |= "faction_id" in changed
        await db.execute(update(Deputy).where(Deputy.id == known.id).values(**changed))
        updated += 1
    if factions_changed:
        await rebuild_all_stats(db)
    return DeputiesOutcome(new, updated, unchanged)
