"""Citizens' appeals from filing to the answer, on the deadlines of Law No. 393/96.

Art. 3 (proposal / application / complaint), Art. 5 (name, address, essence; a non-compliant
appeal is returned with the reason within 10 days), Art. 8 (anonymous ones are not considered),
Art. 20 (30 days, 15 when simple, one extension never past 45 days in total).
Every status change is written to the history and queued to the author and supporters through
the outbox in the same transaction.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services import audit, counters, drafts, exports, jobs, outbox
from services.db import insert_ignoring_conflicts, utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.i18n import Texts
from services.ids import parse_row_id
from services.models import Petition, Resident, Role
from services.models.appeals import (
    Appeal,
    AppealAttachment,
    AppealDraft,
    AppealEvent,
    AppealStatus,
    AppealSupporter,
    AppealType,
    AttachmentKind,
)
from services.residents import redact_contacts, street_only
from services.timeutil import (
    as_utc,
    first_working_day,
    format_date,
    local_midnight,
    local_today,
    statutory_deadline,
    to_local,
)

NUMBER_PREFIX = "З"
FOLLOWUP_TASK = "appeals.followup"
# The callback a follow-up button carries; handlers/appeals.py has the CallbackData factory with
# the same prefix and fields (a test checks they agree), services stay free of aiogram.
FOLLOWUP_PREFIX = "apfu"

OPEN_STATUSES: frozenset[AppealStatus] = frozenset(
    {
        AppealStatus.REGISTERED,
        AppealStatus.ASSIGNED,
        AppealStatus.IN_PROGRESS,
        AppealStatus.EXTENDED,
        AppealStatus.REOPENED,
    }
)

# The legal moves of the status machine; anything else is refused with a domain error.
TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.REGISTERED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.EXTENDED,
         AppealStatus.ANSWERED, AppealStatus.RETURNED, AppealStatus.MERGED}
    ),
    AppealStatus.ASSIGNED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.EXTENDED,
         AppealStatus.ANSWERED, AppealStatus.RETURNED, AppealStatus.MERGED}
    ),
    AppealStatus.IN_PROGRESS: frozenset(
        {AppealStatus.EXTENDED, AppealStatus.ANSWERED, AppealStatus.MERGED}
    ),
    AppealStatus.EXTENDED: frozenset(
        {AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED, AppealStatus.MERGED}
    ),
    AppealStatus.REOPENED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED,
         AppealStatus.MERGED}
    ),
    AppealStatus.ANSWERED: frozenset({AppealStatus.CLOSED, AppealStatus.REOPENED}),
    AppealStatus.RETURNED: frozenset(),
    AppealStatus.CLOSED: frozenset(),
    AppealStatus.MERGED: frozenset(),
}

# Statuses a moderator sets directly; the others have their own action (extend, answer, ...).
MANUAL_STATUSES: tuple[AppealStatus, ...] = (AppealStatus.IN_PROGRESS, AppealStatus.CLOSED)

DEFAULT_MIMES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
)


@dataclass(frozen=True, slots=True)
class AppealRules:
    """The knobs of the feature, built from Settings on the bot side."""

    categories: tuple[str, ...] = (
        "roads", "utilities", "transport", "social", "safety", "ecology", "other"
    )
    departments: tuple[str, ...] = ("housing", "roads", "transport", "social", "general")
    text_min: int = 10
    text_max: int = 4000
    reason_max: int = 1000
    address_max: int = 200
    max_attachments: int = 3
    max_file_bytes: int = 10 * 1024 * 1024
    allowed_mimes: tuple[str, ...] = DEFAULT_MIMES
    answer_days: int = 30
    simple_days: int = 15
    max_days: int = 45
    return_days: int = 10
    followup_days: int = 28
    due_soon_days: int = 3
    # (south, west, north, east) in degrees, or None for no check.
    city_bbox: tuple[float, float, float, float] | None = None
    duplicate_radius_m: float = 300.0

    def in_city(self, latitude: float, longitude: float) -> bool:
        if self.city_bbox is None:
            return True
        south, west, north, east = self.city_bbox
        return south <= latitude <= north and west <= longitude <= east


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """`"south,west,north,east"` → a tuple; empty means no check."""
    if not raw or not raw.strip():
        return None
    parts = [float(p) for p in raw.split(",")]
    if len(parts) != 4:
        raise ValueError("city_bbox needs four numbers: south,west,north,east")
    south, west, north, east = parts
    return (min(south, north), min(west, east), max(south, north), max(west, east))


# --- numbers and deadlines ---------------------------------------------------------------


def format_number(year: int, seq: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{seq:06d}"


def deadline_for(registered_at: datetime, days: int) -> date:
    """The last day of a term of `days` from registration (moved off a day off)."""
    return statutory_deadline(registered_at, days)


def extension_deadline(requested: date) -> date:
    """A new deadline chosen on a day off ends on the next working day, like every term."""
    return first_working_day(requested)


def latest_deadline(appeal: Appeal, rules: AppealRules) -> date:
    """Art. 20: never past `max_days` (45) after registration, extension included."""
    return deadline_for(appeal.registered_at, rules.max_days)


def days_taken(appeal: Appeal) -> int | None:
    if appeal.answered_at is None:
        return None
    return (to_local(appeal.answered_at).date() - to_local(appeal.registered_at).date()).days


def answered_on_time(appeal: Appeal) -> bool | None:
    if appeal.answered_at is None:
        return None
    return to_local(appeal.answered_at).date() <= appeal.deadline


async def _next_seq(session: AsyncSession, year: int) -> int:
    """The year's next number; unique and gap-free since it commits with the appeal."""
    return await counters.next_value(session, f"appeal:{year}")


# --- labels shared by notifications and handlers -----------------------------------------


def _label(tr: Texts, key: str, fallback: str) -> str:
    text = tr(key)
    return fallback if text == key else text


def category_label(tr: Texts, category: str) -> str:
    return _label(tr, f"appeals.category.{category}", category)


def department_label(tr: Texts, department: str) -> str:
    return _label(tr, f"appeals.department.{department}", department)


def status_label(tr: Texts, status: str) -> str:
    return _label(tr, f"appeals.status.{status}", status)


def type_label(tr: Texts, kind: str) -> str:
    return _label(tr, f"appeals.type.{kind}", kind)


# --- validation of the filing steps ------------------------------------------------------


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line) if lines else ""


def require_author(resident: Resident | None) -> Resident:
    """Art. 8: an appeal without the author's name and address is not considered."""
    if resident is None or not resident.is_complete or resident.forgotten_at is not None:
        raise PermissionDenied("appeals.error.anonymous")
    return resident


def validate_type(raw: str) -> AppealType:
    try:
        return AppealType(raw)
    except ValueError:
        raise InvalidInput("appeals.error.bad_type") from None


def validate_category(rules: AppealRules, raw: str) -> str:
    if raw not in rules.categories:
        raise InvalidInput("appeals.error.bad_category")
    return raw


def validate_department(rules: AppealRules, raw: str) -> str:
    if raw not in rules.departments:
        raise InvalidInput("appeals.error.bad_department")
    return raw


def validate_text(rules: AppealRules, raw: str | None) -> str:
    if raw is None:
        raise InvalidInput("appeals.error.text_not_text")
    text = _clean(raw)
    if len(text) < rules.text_min:
        raise InvalidInput("appeals.error.text_short", limit=rules.text_min)
    if len(text) > rules.text_max:
        raise InvalidInput("appeals.error.text_long", limit=rules.text_max, length=len(text))
    return text


def validate_reason(rules: AppealRules, raw: str | None) -> str:
    text = _clean(raw or "")
    if len(text) < 3:
        raise InvalidInput("appeals.error.reason_empty")
    if len(text) > rules.reason_max:
        raise InvalidInput("appeals.error.reason_long", limit=rules.reason_max)
    return text


def validate_address(rules: AppealRules, raw: str | None) -> str:
    text = _clean(raw or "")
    if len(text) < 3 or not any(ch.isalpha() for ch in text):
        raise InvalidInput("appeals.error.address_invalid")
    if len(text) > rules.address_max:
        raise InvalidInput("appeals.error.address_long", limit=rules.address_max)
    return text


def validate_location(latitude: float, longitude: float) -> tuple[float, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("appeals.error.location_invalid")
    return latitude, longitude


@dataclass(frozen=True, slots=True)
class FileInfo:
    file_id: str
    kind: AttachmentKind
    mime: str | None
    size: int | None


def validate_file(rules: AppealRules, info: FileInfo) -> FileInfo:
    """Photos are always fine; documents must be of a readable type; both within the size."""
    if info.size is not None and info.size > rules.max_file_bytes:
        raise InvalidInput(
            "appeals.error.file_too_big", limit_mb=rules.max_file_bytes // (1024 * 1024)
        )
    if info.kind is AttachmentKind.DOCUMENT and (info.mime or "") not in rules.allowed_mimes:
        raise InvalidInput("appeals.error.file_type")
    return info


# --- drafts ------------------------------------------------------------------------------
# An appeal draft is the resident's `Draft` of kind "appeal" (services/drafts.py): shared by
# all the person's accounts, changed under its row lock, submitted by claiming it.

NO_DRAFT = "appeals.error.no_draft"


def _owner(resident_id: int) -> drafts.Owner:
    return drafts.Owner.resident(resident_id)


async def get_draft(session: AsyncSession, resident_id: int) -> AppealDraft | None:
    return await drafts.get(session, _owner(resident_id), DraftKind.APPEAL)


async def start_draft(session: AsyncSession, resident_id: int) -> AppealDraft:
    """A fresh draft (any earlier one is discarded)."""
    return await drafts.start(session, _owner(resident_id), DraftKind.APPEAL, "type")


async def discard_draft(session: AsyncSession, resident_id: int) -> None:
    await drafts.discard(session, _owner(resident_id), DraftKind.APPEAL)


async def update_draft(
    session: AsyncSession, resident_id: int, step: str, **values: Any
) -> AppealDraft:
    """Store what a step collected and where the dialog is; `None` values remove keys."""
    return await drafts.update(session, _owner(resident_id), DraftKind.APPEAL, step,
                               missing=NO_DRAFT, **values)


async def add_draft_file(
    session: AsyncSession, rules: AppealRules, resident_id: int, info: FileInfo
) -> tuple[AppealDraft, bool]:
    """Attach a validated file; returns (draft, accepted) — False once the limit is reached."""
    validate_file(rules, info)
    accepted = True

    def attach(data: dict[str, Any]) -> dict[str, Any]:
        # Runs under the draft's row lock: an album's files arrive as parallel updates, and
        # each must see the files the others added (SQLite and PostgreSQL alike).
        nonlocal accepted
        files = list(data.get("files", []))
        if len(files) >= rules.max_attachments:
            accepted = False
            return data
        if any(f["file_id"] == info.file_id for f in files):
            return data
        files.append({"file_id": info.file_id, "kind": info.kind.value, "mime": info.mime,
                      "size": info.size})
        return {**data, "files": files}

    draft = await drafts.change(session, _owner(resident_id), DraftKind.APPEAL, attach,
                                missing=NO_DRAFT)
    return draft, accepted


# --- registration ------------------------------------------------------------------------


async def register(
    session: AsyncSession,
    rules: AppealRules,
    resident: Resident | None,
    *,
    kind: str,
    category: str,
    text: str,
    files: Sequence[FileInfo] = (),
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str | None = None,
    public: bool = False,
    now: datetime | None = None,
) -> Appeal:
    """Validate everything, then number and store the appeal in one transaction.

    `public` is the author's explicit choice to let other residents read the text and answer.
    """
    author = require_author(resident)
    appeal_type = validate_type(kind)
    category = validate_category(rules, category)
    text = validate_text(rules, text)
    if len(files) > rules.max_attachments:
        raise InvalidInput("appeals.error.too_many_files", limit=rules.max_attachments)
    for info in files:
        validate_file(rules, info)
    if (latitude is None) != (longitude is None):
        raise InvalidInput("appeals.error.location_invalid")
    if latitude is not None and longitude is not None:
        validate_location(latitude, longitude)
    if location_text is not None:
        location_text = validate_address(rules, location_text)
    now = now or utcnow()
    year = to_local(now).year
    seq = await _next_seq(session, year)
    appeal = Appeal(
        number=format_number(year, seq),
        year=year,
        seq=seq,
        type=appeal_type.value,
        category=category,
        text=text,
        author_id=author.id,
        author_name=author.full_name or "",
        author_address=author.address,
        latitude=latitude,
        longitude=longitude,
        location_text=location_text,
        status=AppealStatus.REGISTERED.value,
        registered_at=now,
        deadline=deadline_for(now, rules.answer_days),
        is_simple=False,
        is_public=public,
        extended=False,
    )
    appeal.attachments = [
        AppealAttachment(
            position=i, file_id=f.file_id, kind=f.kind.value, mime=f.mime, size=f.size
        )
        for i, f in enumerate(files)
    ]
    session.add(appeal)
    await session.flush()
    session.add(
        AppealEvent(
            appeal_id=appeal.id,
            status=AppealStatus.REGISTERED.value,
            actor=f"resident:{author.id}",
            new_deadline=appeal.deadline,
            created_at=now,
        )
    )
    await session.flush()
    return appeal


def _petition_category(rules: AppealRules, category: str | None) -> str:
    """The petition's category when appeals have it too, else the catch-all (the last one)."""
    if category in rules.categories:
        return str(category)
    return "other" if "other" in rules.categories else rules.categories[-1]


async def register_from_petition(
    session: AsyncSession,
    rules: AppealRules,
    *,
    petition_id: int,
    author: Resident | None,
    text: str,
    category: str | None = None,
    now: datetime | None = None,
) -> Appeal | None:
    """Art. 23-1: a petition that missed its threshold is considered as an ordinary appeal.

    Numbered and dated like any appeal, in the caller's transaction (the petition's closing).
    None when the author erased themselves: Art. 8 does not consider an anonymous appeal.
    """
    try:
        author = require_author(author)
    except PermissionDenied:
        return None
    now = now or utcnow()
    year = to_local(now).year
    seq = await _next_seq(session, year)
    appeal = Appeal(
        number=format_number(year, seq),
        year=year,
        seq=seq,
        type=AppealType.PROPOSAL.value,
        category=_petition_category(rules, category),
        text=text,
        author_id=author.id,
        author_name=author.full_name or "",
        author_address=author.address,
        status=AppealStatus.REGISTERED.value,
        registered_at=now,
        deadline=deadline_for(now, rules.answer_days),
        is_simple=False,
        extended=False,
        petition_id=petition_id,
        attachments=[],
    )
    session.add(appeal)
    await session.flush()
    session.add(
        AppealEvent(
            appeal_id=appeal.id,
            status=AppealStatus.REGISTERED.value,
            actor=f"petition:{petition_id}",
            new_deadline=appeal.deadline,
            created_at=now,
        )
    )
    await audit.record(session, "system", "appeal.from_petition", "appeal", appeal.id,
                       petition_id=petition_id, number=appeal.number)
    return appeal


async def submit_draft(
    session: AsyncSession, rules: AppealRules, resident: Resident | None,
    now: datetime | None = None, *, version: int | None = None,
) -> Appeal:
    """Register the resident's draft, claimed in the same transaction (the caller commits).

    Claiming is a compare-and-set on the draft row, so two accounts of one person pressing
    "Submit" at once register it once; the other gets `draft.already_submitted`. With
    `version`, a draft changed since its summary was shown is not registered (`draft.changed`).
    On any error the caller rolls back, and the draft is there again, unregistered.
    """
    author = require_author(resident)
    draft = await get_draft(session, author.id)
    if draft is None:
        raise Conflict(drafts.ALREADY_SUBMITTED)
    data = draft.data or {}
    if "type" not in data or "category" not in data or "text" not in data:
        raise InvalidInput("appeals.error.draft_incomplete")
    claimed = await drafts.claim(session, _owner(author.id), DraftKind.APPEAL,
                                 version if version is not None else draft.version)
    data = claimed.data
    files = [
        FileInfo(f["file_id"], AttachmentKind(f["kind"]), f.get("mime"), f.get("size"))
        for f in data.get("files", [])
    ]
    return await register(
        session,
        rules,
        author,
        kind=data["type"],
        category=data["category"],
        text=data["text"],
        files=files,
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        location_text=data.get("address"),
        public=bool(data.get("public")),
        now=now,
    )


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Appeal]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


async def _paged(
    session: AsyncSession, query: Select[tuple[Appeal]], page: int, per_page: int
) -> Page:
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    items = list(await session.scalars(query.offset(page * per_page).limit(per_page)))
    return Page(items, total, page, per_page)


async def get(session: AsyncSession, appeal_id: int) -> Appeal:
    appeal = await session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("appeals.error.not_found")
    return appeal


async def find_by_number(session: AsyncSession, raw: str) -> Appeal:
    """An appeal by its full number (`З-2026-000123`) or by its id."""
    value = raw.strip().upper()
    if value.isdigit():
        appeal_id = parse_row_id(value)  # a number no row can have is not found, not an error
        if appeal_id is None:
            raise NotFound("appeals.error.not_found")
        return await get(session, appeal_id)
    if value[:2] in ("3-", "Z-"):  # a digit three or a Latin Z typed for the Cyrillic letter
        value = NUMBER_PREFIX + value[1:]
    appeal = await session.scalar(select(Appeal).where(Appeal.number == value))
    if appeal is None:
        raise NotFound("appeals.error.not_found")
    return appeal


# --- what each viewer may see ------------------------------------------------------------


class Audience(StrEnum):
    """Who looks at an appeal; `view_for` decides what each of them may see."""

    AUTHOR = "author"
    STAFF = "staff"
    SUPPORTER = "supporter"  # backs it instead of filing a duplicate
    CANDIDATE = "candidate"  # was offered it as a possible duplicate while filing


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created_at: datetime
    status: str
    new_deadline: date | None
    department: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class AppealView:
    """What one viewer may see of an appeal; `None` (or empty) means not for this viewer."""

    id: int
    number: str
    category: str
    registered_at: datetime
    audience: Audience
    is_public: bool
    street: str  # the street of the place, never the building; "" when none was typed
    type: str | None = None
    status: str | None = None
    deadline: date | None = None
    place: str | None = None  # the place as typed, building included
    text: str | None = None
    answer: str | None = None
    history: tuple[HistoryEntry, ...] = ()


def view_for(appeal: Appeal, audience: Audience,
             events: Sequence[AppealEvent] = ()) -> AppealView:
    """The one rule of who sees what of an appeal (appeals are private correspondence).

    The author and staff see everything. Any other resident sees at most the category, the
    street (no building) and the date of a suggested duplicate; as a supporter also the type,
    the status changes, deadlines and the outcome. The author's text, the answer and the
    reasons in the history reach them only if the author made the appeal public, and then
    without phones or e-mails.
    """
    base: dict[str, Any] = {
        "id": appeal.id, "number": appeal.number, "category": appeal.category,
        "registered_at": appeal.registered_at, "audience": audience,
        "is_public": appeal.is_public, "street": street_only(appeal.location_text),
    }
    if audience in (Audience.AUTHOR, Audience.STAFF):
        return AppealView(
            **base, type=appeal.type, status=appeal.status, deadline=appeal.deadline,
            place=appeal.location_text, text=appeal.text, answer=appeal.answer_text,
            history=tuple(_entry(e, e.reason) for e in events),
        )
    public = appeal.is_public
    if audience is Audience.CANDIDATE:
        return AppealView(**base, text=redact_contacts(appeal.text) if public else None)
    return AppealView(
        **base, type=appeal.type, status=appeal.status, deadline=appeal.deadline,
        text=redact_contacts(appeal.text) if public else None,
        answer=redact_contacts(appeal.answer_text) if public and appeal.answer_text else None,
        history=tuple(_entry(e, _reason_for_others(e, public)) for e in events),
    )


def _reason_for_others(event: AppealEvent, public: bool) -> str | None:
    if event.status == AppealStatus.MERGED:
        return event.reason  # the number of the appeal it was merged into, nothing personal
    return redact_contacts(event.reason) if public and event.reason else None


def _entry(event: AppealEvent, reason: str | None) -> HistoryEntry:
    return HistoryEntry(as_utc(event.created_at), event.status, event.new_deadline,
                        event.department, reason)


async def card_for(session: AsyncSession, appeal_id: int, resident_id: int) -> AppealView:
    """An appeal's card as its author or a supporter may see it; anyone else gets NotFound."""
    appeal = await get(session, appeal_id)
    if appeal.author_id == resident_id:
        audience = Audience.AUTHOR
    elif await is_supporter(session, appeal_id, resident_id):
        audience = Audience.SUPPORTER
    else:
        raise NotFound("appeals.error.not_found")
    return view_for(appeal, audience, await history(session, appeal.id))


async def source_petition(session: AsyncSession, appeal: Appeal) -> Petition | None:
    """The e-petition considered as this appeal (Art. 23-1), if it came from one."""
    if appeal.petition_id is None:
        return None
    return await session.get(Petition, appeal.petition_id)


async def history(session: AsyncSession, appeal_id: int) -> list[AppealEvent]:
    return list(
        await session.scalars(
            select(AppealEvent)
            .where(AppealEvent.appeal_id == appeal_id)
            .order_by(AppealEvent.created_at, AppealEvent.id)
        )
    )


async def my_appeals(
    session: AsyncSession, resident_id: int, page: int = 0, per_page: int = 5
) -> Page:
    """Appeals the resident filed or supports, newest first."""
    supported = select(AppealSupporter.appeal_id).where(
        AppealSupporter.resident_id == resident_id
    )
    query = (
        select(Appeal)
        .where((Appeal.author_id == resident_id) | Appeal.id.in_(supported))
        .order_by(Appeal.registered_at.desc(), Appeal.id.desc())
    )
    return await _paged(session, query, page, per_page)


async def supporters_count(session: AsyncSession, appeal_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(AppealSupporter).where(
                AppealSupporter.appeal_id == appeal_id
            )
        )
        or 0
    )


async def is_supporter(session: AsyncSession, appeal_id: int, resident_id: int) -> bool:
    found = await session.scalar(
        select(AppealSupporter.id).where(
            AppealSupporter.appeal_id == appeal_id, AppealSupporter.resident_id == resident_id
        )
    )
    return found is not None


# --- duplicates and support --------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


def _stems(text: str) -> set[str]:
    """Crude stems: the first five letters of words of four or more letters (uk and en)."""
    return {word[:5] for word in _WORD_RE.findall(text.lower().replace("’", "'"))}


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


async def possible_duplicates(
    session: AsyncSession,
    rules: AppealRules,
    *,
    category: str,
    text: str,
    latitude: float | None = None,
    longitude: float | None = None,
    exclude_author: int | None = None,
    limit: int = 3,
) -> list[Appeal]:
    """Open appeals of the same category with similar words or a location close by."""
    query = (
        select(Appeal)
        .where(Appeal.category == category, Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Appeal.registered_at.desc())
        .limit(300)
    )
    if exclude_author is not None:
        query = query.where(Appeal.author_id != exclude_author)
    words = _stems(text)
    scored: list[tuple[float, int, Appeal]] = []
    for appeal in await session.scalars(query):
        other = _stems(appeal.text)
        common = words & other
        similarity = len(common) / len(words | other) if words and other else 0.0
        score = similarity if len(common) >= 2 and similarity >= 0.2 else 0.0
        if (
            latitude is not None
            and longitude is not None
            and appeal.latitude is not None
            and appeal.longitude is not None
            and _distance_m(latitude, longitude, appeal.latitude, appeal.longitude)
            <= rules.duplicate_radius_m
        ):
            score += 0.5
        if score > 0:
            scored.append((score, appeal.id, appeal))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [appeal for _, _, appeal in scored[:limit]]


OFFERED_KEY = "offered"  # the draft's list of appeal ids shown to its author as duplicates


async def offer_duplicates(
    session: AsyncSession, rules: AppealRules, draft: AppealDraft
) -> list[AppealView]:
    """Possible duplicates of a draft, as its author may see them, remembered on the draft.

    Only an appeal remembered here can be supported (`add_support`): a forged button with
    another id gets NotFound. Each call replaces the list, so a changed draft is offered anew.
    """
    data = draft.data or {}
    similar = await possible_duplicates(
        session, rules, category=data.get("category", ""), text=data.get("text", ""),
        latitude=data.get("lat"), longitude=data.get("lon"), exclude_author=draft.resident_id,
    )
    offered = [a.id for a in similar]
    if data.get(OFFERED_KEY, []) != offered and draft.resident_id is not None:
        await update_draft(session, draft.resident_id, draft.step, **{OFFERED_KEY: offered or None})
    return [view_for(a, Audience.CANDIDATE) for a in similar]


async def add_support(session: AsyncSession, appeal_id: int, resident: Resident | None) -> Appeal:
    """Back an open appeal offered as a duplicate of the resident's draft, instead of filing.

    The draft is removed (nothing is filed); supporting twice is harmless. An appeal that was
    not offered to this resident is NotFound, exactly like one that does not exist.
    """
    author = require_author(resident)
    draft = await get_draft(session, author.id)
    if draft is None or appeal_id not in (draft.data or {}).get(OFFERED_KEY, []):
        raise NotFound("appeals.error.not_found")
    appeal = await get(session, appeal_id)
    if appeal.author_id == author.id:
        raise Conflict("appeals.error.support_own")
    if AppealStatus(appeal.status) not in OPEN_STATUSES:
        raise Conflict("appeals.error.support_closed")
    await _add_supporters(session, appeal.id, [author.id])
    await discard_draft(session, author.id)
    return appeal


async def _add_supporters(session: AsyncSession, appeal_id: int, resident_ids: list[int]) -> int:
    added = 0
    now = utcnow()
    for rid in resident_ids:
        stmt = (
            insert_ignoring_conflicts(session, AppealSupporter.__table__)
            .values(appeal_id=appeal_id, resident_id=rid, created_at=now)
            .returning(AppealSupporter.__table__.c.id)
        )
        if (await session.execute(stmt)).first() is not None:
            added += 1
    return added


# --- status machine and notifications ----------------------------------------------------


def can_move(current: str, target: AppealStatus) -> bool:
    return target in TRANSITIONS[AppealStatus(current)]


async def _move(session: AsyncSession, appeal: Appeal, target: AppealStatus) -> None:
    """Move the status only if nobody moved it since we read it (a double tap, two moderators).

    A compare-and-set UPDATE: the loser of a race gets the same refusal as an illegal move,
    instead of a second history entry and a second notification.
    """
    current = appeal.status
    if not can_move(current, target):
        raise Conflict(
            "appeals.error.transition", number=appeal.number, status=current,
            target=target.value,
        )
    moved = await session.scalar(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == current)
        .values(status=target.value, updated_at=utcnow())
        .returning(Appeal.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        raise Conflict(
            "appeals.error.transition", number=appeal.number, status=current,
            target=target.value,
        )
    set_committed_value(appeal, "status", target.value)


async def _supporters(session: AsyncSession, appeal: Appeal) -> list[int]:
    return list(
        await session.scalars(
            select(AppealSupporter.resident_id).where(AppealSupporter.appeal_id == appeal.id)
        )
    )


async def _followers(session: AsyncSession, appeal: Appeal) -> list[int]:
    ids = await _supporters(session, appeal)
    if appeal.author_id is not None:
        ids.insert(0, appeal.author_id)
    return ids


async def _notify_followers(
    session: AsyncSession,
    appeal: Appeal,
    for_author: outbox.Render,
    for_supporters: outbox.Render | None,
    *,
    dedupe: str,
    **kwargs: Any,
) -> None:
    """Tell the author one thing and the supporters what `view_for` lets them see."""
    if appeal.author_id is not None:
        await outbox.notify_residents(session, [appeal.author_id], for_author, dedupe=dedupe,
                                      **kwargs)
    supporters = await _supporters(session, appeal)
    if supporters and for_supporters is not None:
        await outbox.notify_residents(session, supporters, for_supporters, dedupe=dedupe,
                                      **kwargs)


async def _record(
    session: AsyncSession,
    appeal: Appeal,
    status: AppealStatus,
    actor: str,
    *,
    reason: str | None = None,
    department: str | None = None,
    new_deadline: date | None = None,
    notify: bool = True,
) -> AppealEvent:
    """Write the history entry and queue the change to the author and supporters."""
    event = AppealEvent(
        appeal_id=appeal.id,
        status=status.value,
        actor=actor,
        reason=reason,
        department=department,
        new_deadline=new_deadline,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    if notify:
        number = appeal.number
        deadline = format_date(new_deadline or appeal.deadline)
        # What a supporter may read of this change (reasons only of a public appeal).
        shown = view_for(appeal, Audience.SUPPORTER, [event]).history[0].reason

        def render(tr: Texts) -> str:
            return tr(
                f"appeals.notify.{status.value}",
                number=number,
                status=status_label(tr, status.value),
                reason=reason or "",
                deadline=deadline,
                department=department_label(tr, department) if department else "",
            )

        def render_for_supporters(tr: Texts) -> str:
            if status is AppealStatus.MERGED:
                return render(tr)  # names the appeal they now follow, nothing personal
            text = tr("appeals.notify.supporter", number=number,
                      status=status_label(tr, status.value))
            if new_deadline is not None:
                text += "\n" + tr("appeals.notify.supporter_deadline", deadline=deadline)
            if shown:
                text += "\n" + tr("appeals.notify.supporter_reason", reason=shown)
            return text

        await _notify_followers(session, appeal, render, render_for_supporters,
                                dedupe=f"appeal:{appeal.id}:ev:{event.id}")
    return event


def _open(appeal: Appeal) -> None:
    if AppealStatus(appeal.status) not in OPEN_STATUSES:
        raise Conflict("appeals.error.not_open", number=appeal.number,
                       status=appeal.status)


async def assign(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    *,
    department: str | None = None,
    assignee: str | None = None,
) -> Appeal:
    """Hand an open appeal to a department or a person (the staff member themselves)."""
    appeal = await get(session, appeal_id)
    _open(appeal)
    if department is None and assignee is None:
        raise InvalidInput("appeals.error.bad_department")
    if department is not None:
        appeal.department = validate_department(rules, department)
    if assignee is not None:
        appeal.assignee = assignee
    if AppealStatus(appeal.status) in (
        AppealStatus.REGISTERED, AppealStatus.ASSIGNED, AppealStatus.REOPENED
    ):
        await _move(session, appeal, AppealStatus.ASSIGNED)
    await _record(session, appeal, AppealStatus.ASSIGNED, actor, department=appeal.department)
    await audit.record(session, actor, "appeal.assign", "appeal", appeal.id,
                       department=appeal.department, assignee=appeal.assignee)
    return appeal


async def set_status(
    session: AsyncSession, actor: str, appeal_id: int, status: AppealStatus
) -> Appeal:
    """The statuses without their own action (in progress, closed)."""
    if status not in MANUAL_STATUSES:
        raise InvalidInput("appeals.error.use_action")
    appeal = await get(session, appeal_id)
    await _move(session, appeal, status)
    if status is AppealStatus.CLOSED:
        appeal.closed_at = utcnow()
    await _record(session, appeal, status, actor)
    await audit.record(session, actor, f"appeal.{status.value}", "appeal", appeal.id)
    return appeal


async def mark_simple(
    session: AsyncSession, rules: AppealRules, actor: str, appeal_id: int, simple: bool = True,
    *, now: datetime | None = None,
) -> Appeal:
    """Art. 20: no extra study needed → 15 days instead of 30 (not once extended)."""
    appeal = await get(session, appeal_id)
    _open(appeal)
    if appeal.extended:
        raise Conflict("appeals.error.simple_extended")
    before = appeal.deadline
    new_deadline = deadline_for(
        appeal.registered_at, rules.simple_days if simple else rules.answer_days
    )
    if simple and new_deadline < local_today(now):
        # Past day 15 the shorter term would be overdue at once: it no longer applies.
        raise Conflict("appeals.error.simple_too_late", days=rules.simple_days)
    appeal.is_simple = simple
    appeal.deadline = new_deadline
    await audit.record(session, actor, "appeal.simple", "appeal", appeal.id, simple=simple,
                       deadline=appeal.deadline.isoformat())
    await session.flush()
    if appeal.deadline != before:
        # The author was given a date at filing; a new one is theirs to know too.
        number, deadline = appeal.number, format_date(appeal.deadline)
        await outbox.notify_residents(
            session,
            await _followers(session, appeal),
            lambda tr: tr("appeals.notify.deadline", number=number, deadline=deadline),
            dedupe=f"appeal:{appeal.id}:deadline:{utcnow().isoformat()}",
        )
    return appeal


def check_extension(
    appeal: Appeal, rules: AppealRules, new_deadline: date | None = None,
    now: datetime | None = None,
) -> None:
    """Can this appeal be extended (to `new_deadline`)? Raises the reason why not."""
    _open(appeal)
    if appeal.extended:
        raise Conflict("appeals.error.already_extended", number=appeal.number)
    if not can_move(appeal.status, AppealStatus.EXTENDED):
        raise Conflict("appeals.error.transition", number=appeal.number)
    if new_deadline is None:
        return
    cap = latest_deadline(appeal, rules)
    if new_deadline > cap:
        raise InvalidInput("appeals.error.extend_cap", max_date=format_date(cap),
                           days=rules.max_days)
    # The cap is a working day, so a date within it stays within it when moved off a day off.
    new_deadline = extension_deadline(new_deadline)
    if new_deadline <= appeal.deadline or new_deadline < local_today(now):
        raise InvalidInput("appeals.error.extend_not_later", deadline=format_date(appeal.deadline))


async def extend(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    *,
    new_deadline: date,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Art. 20: extend once, with a reason, never past 45 days after registration."""
    appeal = await get(session, appeal_id)
    check_extension(appeal, rules, new_deadline, now)
    reason = validate_reason(rules, reason)
    new_deadline = extension_deadline(new_deadline)
    await _move(session, appeal, AppealStatus.EXTENDED)
    appeal.extended = True
    appeal.extension_reason = reason
    appeal.deadline = new_deadline
    await _record(session, appeal, AppealStatus.EXTENDED, actor, reason=reason,
                  new_deadline=new_deadline)
    await audit.record(session, actor, "appeal.extend", "appeal", appeal.id,
                       deadline=new_deadline.isoformat(), reason=reason)
    return appeal


def check_returnable(appeal: Appeal, rules: AppealRules, now: datetime | None = None) -> None:
    """Art. 5: only an appeal not yet in work, and within `return_days` of registration."""
    if not can_move(appeal.status, AppealStatus.RETURNED):
        raise Conflict("appeals.error.transition", number=appeal.number)
    if local_today(now) > deadline_for(appeal.registered_at, rules.return_days):
        raise Conflict("appeals.error.return_late", days=rules.return_days)


async def return_appeal(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Art. 5: a non-compliant appeal goes back to its author with the reason, within 10 days."""
    appeal = await get(session, appeal_id)
    check_returnable(appeal, rules, now)
    reason = validate_reason(rules, reason)
    await _move(session, appeal, AppealStatus.RETURNED)
    appeal.returned_reason = reason
    appeal.closed_at = now or utcnow()
    await _record(session, appeal, AppealStatus.RETURNED, actor, reason=reason)
    await audit.record(session, actor, "appeal.return", "appeal", appeal.id, reason=reason)
    return appeal


async def answer(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    text: str,
    *,
    file_id: str | None = None,
    file_kind: AttachmentKind | None = None,
    now: datetime | None = None,
) -> Appeal:
    """Record the answer, send it (with the file) to the author, plan the follow-up question."""
    appeal = await get(session, appeal_id)
    text = validate_text(rules, text)
    if (file_id is None) != (file_kind is None):
        raise InvalidInput("appeals.error.file_type")
    now = now or utcnow()
    await _move(session, appeal, AppealStatus.ANSWERED)
    appeal.answer_text = text
    appeal.answer_file_id = file_id
    appeal.answer_file_kind = file_kind.value if file_kind else None
    appeal.answered_at = now
    appeal.followup_asked_at = None
    appeal.followup_answered_at = None
    appeal.resolved = None
    event = await _record(session, appeal, AppealStatus.ANSWERED, actor, notify=False)
    number = appeal.number
    # Supporters read the answer itself only when the author made the appeal public.
    shown = view_for(appeal, Audience.SUPPORTER).answer

    def render_for_supporters(tr: Texts) -> str:
        if shown:
            return tr("appeals.notify.supporter_answered", number=number, answer=shown)
        return tr("appeals.notify.supporter", number=number,
                  status=status_label(tr, AppealStatus.ANSWERED.value))

    await _notify_followers(
        session,
        appeal,
        lambda tr: tr("appeals.notify.answered", number=number, answer=text),
        render_for_supporters,
        dedupe=f"appeal:{appeal.id}:ev:{event.id}",
    )
    if file_id is not None:
        def render_file(tr: Texts) -> str:
            return tr("appeals.notify.answer_file", number=number)

        await _notify_followers(
            session,
            appeal,
            render_file,
            render_file if shown else None,
            dedupe=f"appeal:{appeal.id}:ev:{event.id}:file",
            photo=file_id if file_kind is AttachmentKind.PHOTO else None,
            document=file_id if file_kind is AttachmentKind.DOCUMENT else None,
        )
    await jobs.schedule(
        session,
        FOLLOWUP_TASK,
        now + timedelta(days=rules.followup_days),
        {"appeal_id": appeal.id, "event_id": event.id},
        dedupe_key=f"appeal:{appeal.id}:followup:{event.id}",
    )
    await audit.record(session, actor, "appeal.answer", "appeal", appeal.id,
                       file=bool(file_id))
    return appeal


async def merge(session: AsyncSession, actor: str, appeal_id: int, into_id: int) -> Appeal:
    """Close a duplicate into another open appeal; its author and supporters follow that one."""
    if appeal_id == into_id:
        raise InvalidInput("appeals.error.merge_self")
    duplicate = await get(session, appeal_id)
    target = await get(session, into_id)
    if AppealStatus(target.status) not in OPEN_STATUSES:
        raise Conflict("appeals.error.merge_target_closed", number=target.number)
    await _move(session, duplicate, AppealStatus.MERGED)
    duplicate.merged_into_id = target.id
    duplicate.closed_at = utcnow()
    followers = [rid for rid in await _followers(session, duplicate) if rid != target.author_id]
    await _add_supporters(session, target.id, followers)
    await _record(session, duplicate, AppealStatus.MERGED, actor, reason=target.number)
    await audit.record(session, actor, "appeal.merge", "appeal", duplicate.id,
                       into=target.number)
    return duplicate


# --- the follow-up four weeks after the answer -------------------------------------------


def followup_callback(appeal_id: int, answer: str) -> str:
    """Callback data of a follow-up button ("yes"/"no"), packed like the handler's factory."""
    return f"{FOLLOWUP_PREFIX}:{appeal_id}:{answer}"


async def ask_followup(
    session: AsyncSession, appeal_id: int, now: datetime | None = None,
    event_id: int | None = None,
) -> bool:
    """Ask the author whether the issue was resolved (once per answer). True if asked now.

    `event_id` is the answer the question belongs to: the job of an earlier answer (reopened,
    then answered again) must not ask before four weeks have passed since the latest one.
    """
    appeal = await session.get(Appeal, appeal_id)
    if (
        appeal is None
        or appeal.status != AppealStatus.ANSWERED
        or appeal.followup_asked_at is not None
        or appeal.author_id is None
    ):
        return False
    if event_id is not None:
        latest = await session.scalar(
            select(func.max(AppealEvent.id)).where(
                AppealEvent.appeal_id == appeal.id,
                AppealEvent.status == AppealStatus.ANSWERED.value,
            )
        )
        if latest != event_id:
            return False
    appeal.followup_asked_at = now or utcnow()
    number = appeal.number
    await outbox.notify_residents(
        session,
        [appeal.author_id],
        lambda tr: tr("appeals.followup.question", number=number),
        dedupe=f"appeal:{appeal.id}:followup:{as_utc(appeal.answered_at or utcnow()).isoformat()}",
        buttons=lambda tr: [
            [
                {"text": tr("appeals.followup.yes"),
                 "callback": followup_callback(appeal_id, "yes")},
                {"text": tr("appeals.followup.no"),
                 "callback": followup_callback(appeal_id, "no")},
            ]
        ],
    )
    await session.flush()
    return True


async def followup_task(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """The FOLLOWUP_TASK handler (declared by the appeals feature)."""
    event_id = payload.get("event_id")
    await ask_followup(ctx.session, int(payload["appeal_id"]),
                       event_id=int(event_id) if event_id is not None else None)


async def followup_reply(
    session: AsyncSession,
    rules: AppealRules,
    resident: Resident,
    appeal_id: int,
    *,
    resolved: bool,
    comment: str | None = None,
) -> Appeal:
    """Yes closes the appeal; no reopens it for staff with the resident's comment."""
    appeal = await get(session, appeal_id)
    if appeal.author_id != resident.id:
        raise NotFound("appeals.error.not_found")
    if appeal.status != AppealStatus.ANSWERED or appeal.followup_answered_at is not None:
        raise Conflict("appeals.error.followup_done", number=appeal.number)
    if not resolved:
        comment = validate_reason(rules, comment)
    actor = f"resident:{resident.id}"
    appeal.followup_answered_at = utcnow()
    appeal.resolved = resolved
    if resolved:
        await _move(session, appeal, AppealStatus.CLOSED)
        appeal.closed_at = utcnow()
        await _record(session, appeal, AppealStatus.CLOSED, actor)
        return appeal
    appeal.followup_comment = comment
    await _move(session, appeal, AppealStatus.REOPENED)
    event = await _record(session, appeal, AppealStatus.REOPENED, actor, reason=comment)
    number = appeal.number
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    await outbox.notify(
        session,
        staff,
        lambda tr: tr("appeals.staff.reopened", number=number, comment=comment),
        dedupe=f"appeal:{appeal.id}:staff:{event.id}",
    )
    return appeal


async def rate(session: AsyncSession, resident: Resident, appeal_id: int, score: int) -> Appeal:
    """A 1–5 satisfaction mark for an answered appeal, kept for statistics."""
    if not 1 <= score <= 5:
        raise InvalidInput("appeals.error.rating")
    appeal = await get(session, appeal_id)
    if appeal.author_id != resident.id:
        raise NotFound("appeals.error.not_found")
    if appeal.answered_at is None:
        raise Conflict("appeals.error.rating_unanswered")
    appeal.satisfaction = score
    await session.flush()
    return appeal


# --- staff queue, digest, export, statistics ---------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueGroup:
    category: str
    count: int
    oldest: datetime


async def queue_summary(session: AsyncSession) -> list[QueueGroup]:
    """Open appeals per category, the category with the oldest appeal first."""
    rows = await session.execute(
        select(Appeal.category, func.count(), func.min(Appeal.registered_at))
        .where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Appeal.category)
        .order_by(func.min(Appeal.registered_at))
    )
    return [QueueGroup(cat, int(n), as_utc(oldest)) for cat, n, oldest in rows.all()]


async def queue(
    session: AsyncSession, category: str | None = None, page: int = 0, per_page: int = 5
) -> Page:
    """Open appeals, oldest first (optionally of one category)."""
    query = select(Appeal).where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))
    if category:
        query = query.where(Appeal.category == category)
    return await _paged(session, query.order_by(Appeal.registered_at, Appeal.id), page, per_page)


async def due_soon(
    session: AsyncSession, rules: AppealRules, now: datetime | None = None
) -> tuple[list[Appeal], list[Appeal]]:
    """(overdue, due within `due_soon_days`) open appeals, earliest deadline first."""
    today = local_today(now)
    rows = list(
        await session.scalars(
            select(Appeal)
            .where(
                Appeal.status.in_([s.value for s in OPEN_STATUSES]),
                Appeal.deadline <= today + timedelta(days=rules.due_soon_days),
            )
            .order_by(Appeal.deadline, Appeal.id)
        )
    )
    return [a for a in rows if a.deadline < today], [a for a in rows if a.deadline >= today]


DIGEST_LINES = 30


async def send_digest(
    session: AsyncSession, rules: AppealRules = AppealRules(), now: datetime | None = None
) -> int:
    """Tell moderators which appeals are overdue or due within three days (once a day)."""
    now = now or utcnow()
    overdue, soon = await due_soon(session, rules, now)
    if not overdue and not soon:
        return 0

    def lines(items: list[Appeal]) -> str:
        shown = [f"• {a.number} — {format_date(a.deadline)}" for a in items[:DIGEST_LINES]]
        if len(items) > DIGEST_LINES:
            shown.append(f"… +{len(items) - DIGEST_LINES}")
        return "\n".join(shown) or "—"

    overdue_text, soon_text = lines(overdue), lines(soon)
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    return await outbox.notify(
        session,
        staff,
        lambda tr: tr(
            "appeals.staff.digest",
            overdue=tr.plural("appeals.count", len(overdue)),
            soon=tr.plural("appeals.count", len(soon)),
            overdue_list=overdue_text,
            soon_list=soon_text,
        ),
        dedupe=f"appeals:digest:{local_today(now).isoformat()}",
    )


async def digest_job(ctx: jobs.JobContext) -> None:
    """The daily digest job, with the council's configured rules (declared by the feature)."""
    await send_digest(ctx.session, ctx.section(AppealRules), ctx.now)


EXPORT_COLUMNS = (
    "number", "registered", "deadline", "answered", "type", "category", "status",
    "department", "days_taken",
)


async def export_csv(session: AsyncSession, actor: str, date_from: date, date_to: date) -> str:
    """The register for a period (by the council's registration date, inclusive) as CSV; audited."""
    if date_to < date_from:
        raise InvalidInput("appeals.error.period")
    rows = [
        a
        for a in await session.scalars(
            select(Appeal)
            .where(
                Appeal.registered_at >= local_midnight(date_from) - timedelta(days=1),
                Appeal.registered_at < local_midnight(date_to) + timedelta(days=2),
            )
            .order_by(Appeal.year, Appeal.seq)
        )
        if date_from <= to_local(a.registered_at).date() <= date_to
    ]
    def cells(a: Appeal) -> list[Any]:
        taken = days_taken(a)
        return [
            a.number,
            to_local(a.registered_at).date().isoformat(),
            a.deadline.isoformat(),
            to_local(a.answered_at).date().isoformat() if a.answered_at else "",
            a.type,
            a.category,
            a.status,
            a.department or "",
            "" if taken is None else taken,
        ]

    text = exports.csv_text(EXPORT_COLUMNS, (cells(a) for a in rows))
    await audit.record(session, actor, "appeals.export", "appeals", None,
                       date_from=date_from.isoformat(), date_to=date_to.isoformat(),
                       rows=len(rows))
    return text


@dataclass(frozen=True, slots=True)
class AppealStats:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    median_days: float | None = None
    on_time_share: float | None = None
    satisfaction: float | None = None
    rated: int = 0


async def stats(session: AsyncSession) -> AppealStats:
    """Figures for `/stats`: counts, median days to answer, share on time, satisfaction."""
    by_status = {
        s: int(n)
        for s, n in (
            await session.execute(select(Appeal.status, func.count()).group_by(Appeal.status))
        ).all()
    }
    by_category = {
        c: int(n)
        for c, n in (
            await session.execute(
                select(Appeal.category, func.count()).group_by(Appeal.category)
            )
        ).all()
    }
    answered = list(await session.scalars(select(Appeal).where(Appeal.answered_at.is_not(None))))
    taken = [d for d in (days_taken(a) for a in answered) if d is not None]
    on_time = [bool(answered_on_time(a)) for a in answered]
    ratings = [
        int(r)
        for r in await session.scalars(
            select(Appeal.satisfaction).where(Appeal.satisfaction.is_not(None))
        )
        if r is not None
    ]
    return AppealStats(
        total=sum(by_status.values()),
        by_status=by_status,
        by_category=by_category,
        answered=len(answered),
        median_days=float(statistics.median(taken)) if taken else None,
        on_time_share=(sum(on_time) / len(on_time)) if on_time else None,
        satisfaction=(sum(ratings) / len(ratings)) if ratings else None,
        rated=len(ratings),
    )
