"""Residents: consent, phone verification, name and address, settings, the right to be forgotten."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached, selectinload

from services import outbox
from services.db import TrackingSession, insert_ignoring_conflicts, utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import LANGUAGES, Texts
from services.models import AppSecret, ChannelIdentity, Resident

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


# ---- the phone hash: one phone number, one person, also after /forget ---------------------
_PHONE_KEY_NAME = "phone_hash"


async def phone_hash_key(session: AsyncSession, configured: str | None) -> bytes:
    """The HMAC key: PHONE_HASH_SECRET, else a random one made once and kept in the database.

    Two processes making it at once both read back the one row that won the insert.
    """
    if configured:
        return configured.encode()
    query = select(AppSecret.value).where(AppSecret.name == _PHONE_KEY_NAME)
    stored = await session.scalar(query)
    if stored is None:
        await session.execute(
            insert_ignoring_conflicts(session, AppSecret.__table__).values(
                name=_PHONE_KEY_NAME, value=secrets.token_hex(32), created_at=utcnow())
        )
        stored = await session.scalar(query)
        if stored is None:  # only under an isolation level that hides the winner's row
            raise RuntimeError("the phone-hash key could not be created")
    return stored.encode()


async def phone_hash(session: AsyncSession, phone: str, secret: str | None) -> str:
    """Hex HMAC-SHA256 of a normalized phone: the same number always gives the same hash."""
    key = await phone_hash_key(session, secret)
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def same_phone_profiles(resident: Resident) -> Select[tuple[int]]:
    """Ids of the other profiles verified with this resident's phone: erased ones, or one whose
    number passed to this resident. For signatures (and poll answers) they are one person."""
    return select(Resident.id).where(
        Resident.phone_hash == resident.phone_hash, Resident.id != resident.id
    )


def mask_phone(phone: str) -> str:
    """+380671234567 → +38067•••••67: enough for the owner to recognise, little for others."""
    return phone[:6] + "•" * max(len(phone) - 8, 0) + phone[-2:]


def mask_name(full_name: str | None) -> str:
    """Коваленко Олена Петрівна → К••• О••• П•••."""
    return " ".join(word[0] + "•••" for word in (full_name or "").split()) or "—"


@dataclass(frozen=True, slots=True)
class PhoneHeld:
    """The shared phone already belongs to another profile: nothing changes until the person
    says whether that profile is theirs (`link_account`) or not (`take_phone`)."""

    holder_id: int
    phone: str
    masked_phone: str
    masked_name: str


async def verify_phone(
    session: AsyncSession,
    resident: Resident,
    *,
    phone: str,
    contact_owner_id: str | None,
    sender_id: str,
    phone_secret: str | None,
) -> Resident | PhoneHeld:
    """Accept the resident's own shared contact, or report the profile that already holds it.

    A contact whose owner is not the sender (a forwarded or typed one) proves nothing. Numbers
    are recycled by operators, so a phone held by another profile never joins it silently.
    """
    if contact_owner_id is None or contact_owner_id != sender_id:
        raise InvalidInput("onboarding.phone_foreign")
    normalized = normalize_phone(phone)
    holder = await session.scalar(select(Resident).where(Resident.phone == normalized))
    if holder is not None and holder.id != resident.id:
        return PhoneHeld(holder.id, normalized, mask_phone(normalized),
                         mask_name(holder.full_name))
    resident.phone = normalized
    resident.phone_verified_at = utcnow()
    resident.phone_hash = await phone_hash(session, normalized, phone_secret)
    await session.flush()
    return resident


async def _holder(session: AsyncSession, holder_id: int, phone: str) -> Resident:
    """The profile still holding `phone`; Conflict if it changed since the person was asked."""
    holder = await session.get(Resident, holder_id, populate_existing=True)
    if holder is None or holder.phone != phone or holder.forgotten_at is not None:
        raise Conflict("link.gone")
    return holder


def _account_recipients(identities: list[ChannelIdentity], language: str
                        ) -> list[outbox.Recipient]:
    """Every reachable account of a profile, whatever its notification settings: security
    notices are not news the person may have switched off."""
    return [outbox.Recipient(i.resident_id, i.channel, i.chat_id, language, None, None)
            for i in identities if not i.is_blocked]


async def _identities(session: AsyncSession, resident_id: int) -> list[ChannelIdentity]:
    return list(await session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.resident_id == resident_id)
        .order_by(ChannelIdentity.id)
    ))


async def link_account(
    session: AsyncSession,
    resident: Resident,
    holder_id: int,
    phone: str,
    *,
    unlink_callback: Callable[[int], str],
) -> Resident:
    """The person confirmed the profile holding their phone is theirs: this fresh profile's
    accounts join it, and the profile's other accounts are told, with a button to undo it
    (`unlink_callback(identity_id)` is that button's callback data)."""
    holder = await _holder(session, holder_id, phone)
    told = _account_recipients(await _identities(session, holder.id), holder.language)
    joining = (await session.execute(
        select(ChannelIdentity.id, ChannelIdentity.channel)
        .where(ChannelIdentity.resident_id == resident.id)
    )).all()
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.resident_id == resident.id)
        .values(resident_id=holder.id)
        .execution_options(synchronize_session=False)
    )
    holder.language = resident.language
    holder.consent_at = holder.consent_at or resident.consent_at
    holder.is_active = True
    await session.delete(resident)
    await session.flush()
    masked = mask_phone(phone)
    for identity_id, channel in joining:
        def render(tr: Texts, channel: str = channel) -> str:
            return tr("link.notify", channel=tr(f"link.channel.{channel}"), phone=masked)

        def buttons(tr: Texts, identity_id: int = identity_id) -> list[list[dict[str, Any]]]:
            return [[{"text": tr("link.unlink_button"), "callback": unlink_callback(identity_id)}]]

        await outbox.notify(session, told, render, buttons=buttons, urgent=True,
                            dedupe=f"account:{identity_id}:linked")
    return holder


async def take_phone(
    session: AsyncSession,
    resident: Resident,
    holder_id: int,
    phone: str,
    *,
    phone_secret: str | None,
    channel: str,
) -> Resident:
    """The person says the profile holding their phone is not theirs (a number handed on):
    the phone moves to this profile, the other keeps everything else and is told to verify
    its current number. Both keep the phone's hash, so the number still signs once."""
    holder = await _holder(session, holder_id, phone)
    hashed = await phone_hash(session, phone, phone_secret)
    holder.phone_hash = holder.phone_hash or hashed
    holder.phone = None
    holder.phone_verified_at = None
    await session.flush()  # the phone is unique: free it before this profile takes it
    resident.phone = phone
    resident.phone_verified_at = utcnow()
    resident.phone_hash = hashed
    await session.flush()
    masked = mask_phone(phone)
    await outbox.notify(
        session,
        _account_recipients(await _identities(session, holder.id), holder.language),
        lambda tr: tr("link.phone_taken", phone=masked, channel=tr(f"link.channel.{channel}")),
        urgent=True,
        dedupe=f"phone-taken:{holder.id}:{resident.id}",
    )
    return resident


async def unlink_account(session: AsyncSession, owner: Resident, identity_id: int, *,
                         presser: tuple[str, str]) -> bool:
    """Detach one account from the owner's profile (not the one pressing): it loses access and
    starts afresh at /start. False if it is not (or no longer) linked to this profile.

    Only an account linked before it may detach an account: a newcomer on a recycled number
    (or a forged button) cannot throw the profile's earlier accounts out.
    """
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.id == identity_id,
                                      ChannelIdentity.resident_id == owner.id)
    )
    pressing = await session.scalar(
        select(ChannelIdentity.id).where(ChannelIdentity.channel == presser[0],
                                         ChannelIdentity.external_id == presser[1],
                                         ChannelIdentity.resident_id == owner.id)
    )
    if identity is None or pressing is None or identity.id <= pressing:
        return False
    notice = outbox.Recipient(0, identity.channel, identity.chat_id, owner.language, None, None)
    await session.delete(identity)
    await session.flush()
    await outbox.notify(session, [notice], lambda tr: tr("link.unlinked_notice"), urgent=True)
    return True


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


def first_name(full_name: str | None) -> str:
    """The name to greet by: we ask for "surname first-name patronymic", so the second word.

    A one-word name (older profiles) is used whole; an empty one gives "".
    """
    words = (full_name or "").split()
    if not words:
        return ""
    return words[1] if len(words) > 1 else words[0]


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


async def forget(session: AsyncSession, resident: Resident, *, phone_secret: str | None) -> None:
    """Erase what identifies the person; the anonymous row keeps totals (signatures) right.

    What stays: the keyed phone hash (so the same number cannot sign twice after coming back)
    and the statuses of the bot's messages, stripped of chat, text and profile.
    """
    if resident.phone and resident.phone_hash is None:  # verified before hashes existed
        resident.phone_hash = await phone_hash(session, resident.phone, phone_secret)
    await outbox.erase_resident(session, resident.id)
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
