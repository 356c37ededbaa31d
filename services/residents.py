"""Residents: consent, phone verification, name and address, settings, the right to be forgotten."""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached, selectinload

from services.db import TrackingSession, utcnow
from services.errors import InvalidInput, NotFound
from services.i18n import LANGUAGES
from services.models import ChannelIdentity, Resident

# Letters of any script, apostrophes (Ukrainian uses ' and ʼ), hyphens, dots and spaces.
_NAME_RE = re.compile(r"^[^\W\d_]+(?:['ʼ’`\-. ][^\W\d_]+)*\.?$")
_BUILDING_RE = re.compile(r"^[0-9]{1,4}(?:[ /\-]?[0-9A-Za-zА-ЯҐЄІЇа-яґєії]{0,4})?$")


@dataclass(frozen=True, slots=True)
class Limits:
    name_max: int = 120
    address_max: int = 200


async def by_identity(session: AsyncSession, channel: str, external_id: str) -> Resident | None:
    return await session.scalar(
        select(Resident)
        .join(ChannelIdentity, ChannelIdentity.resident_id == Resident.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )


async def get(session: AsyncSession, resident_id: int) -> Resident:
    resident = await session.get(Resident, resident_id)
    if resident is None:
        raise NotFound()
    return resident


async def give_consent(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    chat_id: str,
    language: str,
    username: str | None = None,
) -> Resident:
    """The first row we ever store about a person, written only once they agreed."""
    existing = await by_identity(session, channel, external_id)
    if existing is not None:
        existing.consent_at = existing.consent_at or utcnow()
        existing.language = language
        return existing
    resident = Resident(
        language=language if language in LANGUAGES else "uk",
        consent_at=utcnow(),
        is_active=True,
    )
    resident.identities = [
        ChannelIdentity(channel=channel, external_id=external_id, chat_id=chat_id,
                        username=username)
    ]
    session.add(resident)
    await session.flush()
    return resident


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 10 or len(digits) > 15:
        raise InvalidInput("onboarding.phone_invalid")
    if len(digits) == 10 and digits.startswith("0"):  # a local Ukrainian number
        digits = "38" + digits
    return "+" + digits


async def verify_phone(
    session: AsyncSession,
    resident: Resident,
    *,
    phone: str,
    contact_owner_id: str | None,
    sender_id: str,
) -> Resident:
    """Accept the resident's own shared contact; a person's accounts meet on the same phone.

    A contact whose owner is not the sender (a forwarded or typed one) proves nothing.
    If another resident already holds this phone (the same person from another messenger),
    this account joins that resident and the fresh empty profile is removed.
    """
    if contact_owner_id is None or contact_owner_id != sender_id:
        raise InvalidInput("onboarding.phone_foreign")
    normalized = normalize_phone(phone)
    owner = await session.scalar(select(Resident).where(Resident.phone == normalized))
    if owner is not None and owner.id != resident.id:
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.resident_id == resident.id)
            .values(resident_id=owner.id)
            .execution_options(synchronize_session=False)
        )
        owner.language = resident.language
        owner.consent_at = owner.consent_at or resident.consent_at
        owner.is_active = True
        await session.delete(resident)
        await session.flush()
        return owner
    resident.phone = normalized
    resident.phone_verified_at = utcnow()
    await session.flush()
    return resident


_PHONE_RE = re.compile(r"\+?\d[\d\s\-()]{6,}\d")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def redact_contacts(text: str) -> str:
    """Hide phone numbers and e-mail addresses before showing a text to other residents."""
    return _EMAIL_RE.sub("…", _PHONE_RE.sub("…", text))


# A number right after one of these is part of the street's name ("вул. 8 Березня").
_STREET_TYPES = frozenset({
    "вул", "вулиця", "вулиці", "просп", "проспект", "пр", "пров", "провулок", "бульв", "бульвар",
    "б-р", "пл", "площа", "майдан", "узвіз", "шосе", "набережна", "street", "st", "avenue",
    "ave", "road", "rd", "lane", "square", "sq", "blvd",
})
# Words that announce a building or flat; dropped when the street ends with them.
_BUILDING_WORDS = frozenset({
    "буд", "будинок", "будинку", "б", "д", "дім", "кв", "квартира", "корп", "корпус", "№", "#",
    "house", "bldg", "building", "apt", "flat", "no",
})
STREET_MAX = 60


def _bare(token: str) -> str:
    return token.strip(".,:;()").lower()


def street_only(address: str | None) -> str:
    """The street of a typed address, never its building or flat ("" if there is no street).

    Only the part before the first comma is kept, cut at the first token with a digit unless
    it follows a street type; what other residents may see of where someone lives.
    """
    if not address:
        return ""
    kept: list[str] = []
    for token in redact_contacts(address).split(",")[0].split():
        if any(ch.isdigit() for ch in token) and not (kept and _bare(kept[-1]) in _STREET_TYPES):
            break
        kept.append(token)
    while kept and _bare(kept[-1]) in _BUILDING_WORDS:
        kept.pop()
    street = " ".join(kept).strip(" .,:;-")
    if not any(ch.isalpha() for ch in street):
        return ""
    return street if len(street) <= STREET_MAX else street[: STREET_MAX - 1].rstrip() + "…"


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def validate_full_name(raw: str | None, limits: Limits = Limits()) -> str:
    if raw is None:
        raise InvalidInput("onboarding.name_not_text")
    name = _clean(raw)
    if not name:
        raise InvalidInput("onboarding.name_empty")
    if len(name) > limits.name_max:
        raise InvalidInput("onboarding.name_too_long", limit=limits.name_max)
    if len(name.split(" ")) < 2 or not _NAME_RE.match(name):
        raise InvalidInput("onboarding.name_invalid")
    return name


def validate_street(raw: str | None, limits: Limits = Limits()) -> str:
    if raw is None:
        raise InvalidInput("onboarding.street_not_text")
    street = _clean(raw)
    if len(street) < 3:
        raise InvalidInput("onboarding.street_empty")
    if len(street) > limits.address_max:
        raise InvalidInput("onboarding.street_too_long", limit=limits.address_max)
    if not any(ch.isalpha() for ch in street):
        raise InvalidInput("onboarding.street_invalid")
    return street


def validate_building(raw: str | None) -> str:
    if raw is None:
        raise InvalidInput("onboarding.building_not_text")
    building = _clean(raw).replace(" ", "")
    if not building:
        raise InvalidInput("onboarding.building_empty")
    if not _BUILDING_RE.match(building):
        raise InvalidInput("onboarding.building_invalid")
    return building


async def set_full_name(session: AsyncSession, resident: Resident, raw: str | None,
                        limits: Limits = Limits()) -> Resident:
    resident.full_name = validate_full_name(raw, limits)
    await session.flush()
    return resident


async def set_address(
    session: AsyncSession, resident: Resident, street: str, building: str | None
) -> Resident:
    resident.street = street
    resident.building = building
    await session.flush()
    return resident


async def set_language(session: AsyncSession, resident: Resident, language: str) -> Resident:
    if language not in LANGUAGES:
        raise InvalidInput("settings.language_unknown")
    resident.language = language
    await session.flush()
    return resident


def parse_quiet_hours(raw: str | None) -> tuple[int | None, int | None]:
    """`22-8` → (22, 8); `off`/`-` → no quiet hours."""
    if raw is None:
        raise InvalidInput("settings.quiet_invalid")
    text = raw.strip().lower()
    if text in {"-", "off", "0", "ні", "вимк", "none"}:
        return None, None
    match = re.fullmatch(r"(\d{1,2})(?::00)?\s*[-–—]\s*(\d{1,2})(?::00)?", text)
    if not match:
        raise InvalidInput("settings.quiet_invalid")
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise InvalidInput("settings.quiet_invalid")
    return start, end


async def set_quiet_hours(
    session: AsyncSession, resident: Resident, quiet: tuple[int | None, int | None]
) -> Resident:
    resident.quiet_from, resident.quiet_to = quiet
    await session.flush()
    return resident


async def forget(session: AsyncSession, resident: Resident) -> None:
    """Erase what identifies the person; the anonymous row keeps totals (signatures) right."""
    resident.full_name = None
    resident.street = None
    resident.building = None
    resident.phone = None
    resident.phone_verified_at = None
    resident.district = None
    resident.is_active = False
    resident.notifications_enabled = False
    resident.forgotten_at = utcnow()
    await session.execute(
        delete(ChannelIdentity).where(ChannelIdentity.resident_id == resident.id)
    )
    await session.flush()


async def with_identities(session: AsyncSession, resident_id: int) -> Resident | None:
    return await session.scalar(
        select(Resident)
        .options(selectinload(Resident.identities))
        .where(Resident.id == resident_id)
    )


async def set_reachable(session: AsyncSession, channel: str, external_id: str,
                        reachable: bool) -> None:
    """Follow `my_chat_member`: blocked → inactive; unblocked → active again."""
    identity = await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    )
    if identity is None:
        return
    identity.is_blocked = not reachable
    resident = await session.get(Resident, identity.resident_id)
    if resident is not None and resident.forgotten_at is None:
        if reachable:
            resident.is_active = True
        else:
            others = await session.scalar(
                select(ChannelIdentity.id).where(
                    ChannelIdentity.resident_id == resident.id,
                    ChannelIdentity.id != identity.id,
                    ChannelIdentity.is_blocked.is_(False),
                )
            )
            resident.is_active = others is not None
    await session.flush()


# ---- a per-process cache of who is behind a messenger account --------------------------------
#
# Every update starts by asking "which resident is this?". On SQLite each query costs several
# thread hops (aiosqlite), more than the rest of handling a menu tap, while profiles change
# rarely. The cache keeps the loaded columns and re-attaches a copy to the update's session
# without SQL. Any write to residents or identities in this process (ORM flush or bulk
# statement) bumps a generation that invalidates every entry, and a commit bumps it again so
# a copy read while that write was in flight is dropped too.
#
# It also keeps the set of accounts that have a profile at all, so a stranger's first /start
# costs no query. New identities flushed in this process are added as they appear; a bulk
# insert or update of identities makes every cache reload the set.

_PROFILE_TABLES = frozenset({"residents", "channel_identities"})
_generation = 0
_accounts_generation = 0
_live_caches: weakref.WeakSet[ProfileCache] = weakref.WeakSet()


def _bump(session: Session) -> None:
    global _generation
    _generation += 1
    session.info["profiles_touched"] = True


@event.listens_for(TrackingSession, "after_flush")
def _profiles_flushed(session: Session, _context: Any) -> None:
    touched = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Resident | ChannelIdentity):
            touched = True
        if isinstance(obj, ChannelIdentity) and obj in session.new:
            for cache in _live_caches:
                cache.note_account(obj.channel, obj.external_id)
    if touched:
        _bump(session)


@event.listens_for(TrackingSession, "do_orm_execute")
def _profiles_written(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in _PROFILE_TABLES:
            _bump(state.session)
        if name == "channel_identities" and not state.is_delete:
            global _accounts_generation
            _accounts_generation += 1


@event.listens_for(TrackingSession, "after_commit")
def _profiles_committed(session: Session) -> None:
    if session.info.pop("profiles_touched", False):
        global _generation
        _generation += 1


_COLUMNS = tuple(attr.key for attr in Resident.__mapper__.column_attrs)


class ProfileCache:
    """`by_identity` with a per-process memory; only for one-process (SQLite) deployments."""

    def __init__(self, enabled: bool = True, max_entries: int = 50_000, ttl: float = 60.0) -> None:
        self.enabled = enabled
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[int, float, dict[str, Any] | None]] = {}
        self._accounts: set[tuple[str, str]] | None = None
        self._accounts_loaded_at = -1
        self._added_while_loading: set[tuple[str, str]] | None = None
        self._load_lock = asyncio.Lock()  # one load at a time, however many updates ask
        _live_caches.add(self)

    def note_account(self, channel: str, external_id: str) -> None:
        key = (channel, external_id)
        if self._accounts is not None:
            self._accounts.add(key)
        if self._added_while_loading is not None:
            self._added_while_loading.add(key)

    async def _has_account(self, session: AsyncSession, key: tuple[str, str]) -> bool:
        """False only when the account surely has no profile; True means "look it up"."""
        if self._accounts is None or self._accounts_loaded_at != _accounts_generation:
            async with self._load_lock:
                return await self._load_accounts(session, key)
        return key in self._accounts

    async def _load_accounts(self, session: AsyncSession, key: tuple[str, str]) -> bool:
        if self._accounts is not None and self._accounts_loaded_at == _accounts_generation:
            return key in self._accounts  # another update loaded it while this one waited
        generation = _accounts_generation
        added: set[tuple[str, str]] = set()
        self._added_while_loading = added
        try:
            rows = await session.execute(
                select(ChannelIdentity.channel, ChannelIdentity.external_id))
            loaded = {(channel, external_id) for channel, external_id in rows}
        finally:
            self._added_while_loading = None
        if generation != _accounts_generation:  # a bulk write raced the load: no verdict
            self._accounts = None
            return True
        self._accounts = loaded | added
        self._accounts_loaded_at = generation
        return key in self._accounts

    async def lookup(self, session: AsyncSession, channel: str,
                     external_id: str) -> Resident | None:
        if not self.enabled:
            return await by_identity(session, channel, external_id)
        key = (channel, external_id)
        if not await self._has_account(session, key):
            return None
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == _generation and now - entry[1] < self.ttl:
            return _attach(session, entry[2])
        generation = _generation
        resident = await by_identity(session, channel, external_id)
        values = None if resident is None else {c: getattr(resident, c) for c in _COLUMNS}
        if generation == _generation:
            self._entries.pop(key, None)
            self._entries[key] = (generation, now, values)
            if len(self._entries) > self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        return resident


def _attach(session: AsyncSession, values: dict[str, Any] | None) -> Resident | None:
    """A persistent copy in this session, as if just loaded, without asking the database."""
    if values is None:
        return None
    resident = Resident(**values)
    make_transient_to_detached(resident)
    session.add(resident)
    return resident
