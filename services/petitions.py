"""E-petitions: filing, moderation, signing, the threshold, the council's answer and the jobs.

Every rule of the feature lives here once. Exactly-once events (one signature per resident,
one threshold event per petition) rest on a unique constraint and on conditional
`UPDATE ... WHERE status = ... RETURNING`, so they hold across sessions and processes.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import appeals, audit, counters, drafts, exports, jobs, outbox
from services.db import insert_ignoring_conflicts, utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.i18n import Raw, Texts
from services.models import (
    AnswerKind,
    Draft,
    Petition,
    PetitionStatus,
    RejectReason,
    Resident,
    Role,
    Signature,
)
from services.residents import same_phone_profiles
from services.timeutil import (
    as_utc,
    end_of_day,
    format_date,
    statutory_deadline,
    to_local,
)

PAGE_SIZE = 5
NUMBER_COUNTER = "petition"

# Signatures are accepted until the deadline, also after the threshold was reached.
OPEN_FOR_SIGNING = (PetitionStatus.COLLECTING, PetitionStatus.AWAITING_ANSWER)
# What anyone may see; drafts, rejected and hidden petitions only their author and staff.
PUBLIC = (
    PetitionStatus.COLLECTING,
    PetitionStatus.AWAITING_ANSWER,
    PetitionStatus.UNDER_CONSIDERATION,
    PetitionStatus.ANSWERED,
    PetitionStatus.NOT_ENOUGH_SIGNATURES,
)
NUMBER_MAX = 2**31 - 1
CONSIDERED = (
    PetitionStatus.AWAITING_ANSWER,
    PetitionStatus.UNDER_CONSIDERATION,
    PetitionStatus.ANSWERED,
)
AWAITING = (PetitionStatus.AWAITING_ANSWER, PetitionStatus.UNDER_CONSIDERATION)


@dataclass(frozen=True, slots=True)
class PetitionRules:
    """The numbers a council sets (built from Settings on the bot side)."""

    threshold: int = 250
    period_days: int = 90
    title_min: int = 10
    title_max: int = 200
    text_min: int = 30
    text_max: int = 3000
    answer_max: int = 3500
    comment_max: int = 500
    max_pending_per_author: int = 2
    moderation_working_days: int = 2
    answer_working_days: int = 10
    categories: tuple[str, ...] = ()
    council_channel_id: int | None = None
    # For an "open the petition" link under notifications (a deep link to the card).
    bot_username: str | None = None


class ListKind(StrEnum):
    NEWEST = "new"
    MOST_SIGNED = "top"
    ENDING_SOON = "end"
    CONSIDERED = "done"
    MINE = "mine"
    SIGNED = "signed"
    SEARCH = "find"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Petition]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


@dataclass(frozen=True, slots=True)
class PetitionCard:
    petition: Petition
    author_name: str | None
    is_author: bool
    signed: bool
    can_sign: bool
    can_withdraw: bool
    days_left: int | None


@dataclass(frozen=True, slots=True)
class SignResult:
    signed: bool  # False: this resident had already signed
    count: int
    threshold_reached: bool  # True only for the one signature that crossed the threshold


@dataclass(frozen=True, slots=True)
class QueueItem:
    petition: Petition
    waited: timedelta
    overdue: bool


# ---- validation ---------------------------------------------------------------------------


def _clean_line(raw: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", raw or "").split())


def _clean_text(raw: str | None) -> str:
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").strip()
    # Keep paragraphs, drop runs of blank lines.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def _within_limits(value: str, field: str, minimum: int, maximum: int) -> str:
    """`value` if its length fits; otherwise the field's empty / short / long error."""
    if not value:
        raise InvalidInput(f"petition.error.{field}_empty")
    if len(value) < minimum:
        raise InvalidInput(f"petition.error.{field}_short", limit=minimum)
    if len(value) > maximum:
        raise InvalidInput(f"petition.error.{field}_long", limit=maximum, length=len(value))
    return value


def validate_title(raw: str | None, rules: PetitionRules) -> str:
    if raw is None:
        raise InvalidInput("petition.error.not_text")
    return _within_limits(_clean_line(raw), "title", rules.title_min, rules.title_max)


def validate_text(raw: str | None, rules: PetitionRules) -> str:
    if raw is None:
        raise InvalidInput("petition.error.not_text")
    return _within_limits(_clean_text(raw), "text", rules.text_min, rules.text_max)


def validate_category(raw: str | None, rules: PetitionRules) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in rules.categories:
        raise InvalidInput("petition.error.category")
    return raw


def _search_text(title: str, text: str) -> str:
    return f"{title}\n{text}".casefold()


def _require_complete(resident: Resident | None) -> Resident:
    if resident is None or not resident.is_complete or resident.forgotten_at is not None:
        raise PermissionDenied("petition.error.need_profile")
    return resident


# ---- reading ------------------------------------------------------------------------------


async def get(session: AsyncSession, petition_id: int) -> Petition:
    petition = await session.get(Petition, petition_id)
    if petition is None:
        raise NotFound("petition.error.not_found")
    return petition


def _visible(petition: Petition, viewer_id: int | None, is_staff: bool) -> bool:
    return (
        is_staff
        or petition.status in PUBLIC
        or (viewer_id is not None and petition.author_id == viewer_id)
    )


def is_open(petition: Petition, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        petition.status in OPEN_FOR_SIGNING
        and petition.deadline is not None
        and as_utc(petition.deadline) > now
    )


def days_left(petition: Petition, now: datetime | None = None) -> int | None:
    if petition.deadline is None or petition.status not in OPEN_FOR_SIGNING:
        return None
    seconds = (as_utc(petition.deadline) - (now or utcnow())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


async def card(
    session: AsyncSession,
    petition_id: int,
    viewer_id: int | None = None,
    *,
    is_staff: bool = False,
    now: datetime | None = None,
) -> PetitionCard:
    """What the card shows: never the author's phone or address, only their public name."""
    now = now or utcnow()
    # One round trip: the petition (fresh, not a cached copy), the author's name, and whether
    # the viewer has signed.
    signed_by_viewer = (
        select(Signature.id)
        .where(Signature.petition_id == Petition.id, Signature.resident_id == viewer_id)
        .exists()
        if viewer_id is not None
        else literal(False)
    )
    row = (
        await session.execute(
            select(Petition, Resident.full_name, signed_by_viewer)
            .outerjoin(Resident, Resident.id == Petition.author_id)
            .where(Petition.id == petition_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None or not _visible(row[0], viewer_id, is_staff):
        raise NotFound("petition.error.not_found")
    petition, author_name, signed = row[0], row[1], bool(row[2])
    open_now = is_open(petition, now)
    return PetitionCard(
        petition=petition,
        author_name=author_name,
        is_author=viewer_id is not None and viewer_id == petition.author_id,
        signed=signed,
        can_sign=open_now and not signed,
        can_withdraw=signed and petition.status == PetitionStatus.COLLECTING and open_now,
        days_left=days_left(petition, now),
    )


async def find_published(session: AsyncSession, number: int) -> int:
    """The id of petition №`number` if anyone may see it; NotFound otherwise."""
    # The number column is an INTEGER: a larger one cannot exist (and would not bind).
    petition_id = None
    if 0 < number <= NUMBER_MAX:
        petition_id = await session.scalar(
            select(Petition.id).where(Petition.number == number, Petition.status.in_(PUBLIC))
        )
    if petition_id is None:
        raise NotFound("petition.error.not_found")
    return petition_id


async def list_petitions(
    session: AsyncSession,
    kind: ListKind,
    *,
    page: int = 0,
    viewer_id: int | None = None,
    query: str | None = None,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """One page of a public list, of the viewer's own petitions, or of those they signed."""
    now = now or utcnow()
    stmt = select(Petition.id)
    order: tuple[Any, ...]
    if kind in (ListKind.NEWEST, ListKind.MOST_SIGNED, ListKind.ENDING_SOON):
        stmt = stmt.where(Petition.status.in_(OPEN_FOR_SIGNING), Petition.deadline > now)
        if kind == ListKind.NEWEST:
            order = (Petition.published_at.desc(), Petition.id.desc())
        elif kind == ListKind.MOST_SIGNED:
            order = (Petition.signature_count.desc(), Petition.id.desc())
        else:
            order = (Petition.deadline.asc(), Petition.id.asc())
    elif kind == ListKind.CONSIDERED:
        stmt = stmt.where(Petition.status.in_(CONSIDERED))
        order = (Petition.reached_at.desc(), Petition.id.desc())
    elif kind == ListKind.MINE:
        if viewer_id is None:
            return Page([], 0, 0, 0)
        stmt = stmt.where(Petition.author_id == viewer_id)
        order = (Petition.created_at.desc(), Petition.id.desc())
    elif kind == ListKind.SIGNED:
        if viewer_id is None:
            return Page([], 0, 0, 0)
        stmt = stmt.join(Signature, Signature.petition_id == Petition.id).where(
            Signature.resident_id == viewer_id
        )
        order = (Signature.created_at.desc(), Signature.id.desc())
    else:
        words = search_words(query)
        if not words:
            raise InvalidInput("petition.error.search_empty")
        stmt = stmt.where(Petition.status.in_(PUBLIC))
        for word in words:
            stmt = stmt.where(Petition.search_text.contains(word, autoescape=True))
        order = (Petition.published_at.desc(), Petition.id.desc())
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    # Two steps: a page of ids from the indexes, then just those rows with their texts.
    ids = list(
        await session.scalars(stmt.order_by(*order).offset(page * page_size).limit(page_size))
    )
    rows = {p.id: p for p in await session.scalars(select(Petition).where(Petition.id.in_(ids)))}
    return Page([rows[i] for i in ids if i in rows], page, pages, total)


def search_words(query: str | None) -> list[str]:
    """Up to five meaningful words of a search query, casefolded."""
    words = [w for w in _clean_line(query).casefold().split(" ") if len(w) >= 2]
    return words[:5]


async def moderation_queue(
    session: AsyncSession, *, page: int = 0, page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> tuple[list[QueueItem], Page]:
    """Petitions awaiting moderation, oldest first, with how long each has waited."""
    now = now or utcnow()
    stmt = select(Petition).where(Petition.status == PetitionStatus.MODERATION)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    rows = list(
        await session.scalars(
            stmt.order_by(Petition.created_at, Petition.id)
            .offset(page * page_size)
            .limit(page_size)
        )
    )
    items = [
        QueueItem(
            p,
            now - as_utc(p.created_at),
            p.moderation_due_at is not None and as_utc(p.moderation_due_at) < now,
        )
        for p in rows
    ]
    return items, Page(rows, page, pages, total)


# ---- residents' actions -------------------------------------------------------------------


def working_days_due(start: datetime, working_days: int) -> datetime:
    """Art. 23-1 terms (publication, consideration): the end of the last of `working_days`."""
    return end_of_day(statutory_deadline(start, working_days, working_days=True))


async def check_can_file(
    session: AsyncSession, rules: PetitionRules, author: Resident | None
) -> Resident:
    """The author may file now: a complete profile and room under the pending limit."""
    author = _require_complete(author)
    pending = await session.scalar(
        select(func.count()).where(
            Petition.author_id == author.id, Petition.status == PetitionStatus.MODERATION
        )
    )
    if (pending or 0) >= rules.max_pending_per_author:
        raise Conflict("petition.error.too_many_pending", limit=rules.max_pending_per_author)
    return author


async def create(
    session: AsyncSession,
    rules: PetitionRules,
    author: Resident | None,
    *,
    title: str | None,
    text: str | None,
    category: str | None = None,
    now: datetime | None = None,
) -> Petition:
    """File a petition; it waits for moderation. The author may have only a few waiting."""
    author = await check_can_file(session, rules, author)
    now = now or utcnow()
    clean_title = validate_title(title, rules)
    clean_text = validate_text(text, rules)
    clean_category = validate_category(category, rules)
    petition = Petition(
        title=clean_title,
        text=clean_text,
        category=clean_category,
        search_text=_search_text(clean_title, clean_text),
        author_id=author.id,
        status=PetitionStatus.MODERATION,
        created_at=now,
        moderation_due_at=working_days_due(now, rules.moderation_working_days),
        signature_count=0,
    )
    session.add(petition)
    await session.flush()
    await outbox.notify(
        session,
        await outbox.staff_recipients(session, Role.MODERATOR),
        lambda tr: tr("petition.notify.submitted_staff", title=clean_title),
        dedupe=f"petition:{petition.id}:submitted",
        now=now,
    )
    return petition


# ---- the filing dialog's draft -----------------------------------------------------------
# The resident's `Draft` of kind "petition" (services/drafts.py): steps title → text →
# category (when the council has categories) → preview; nothing is filed before `submit_draft`.

NO_DRAFT = "petition.new.stale"


def asks_category(rules: PetitionRules) -> bool:
    """The dialog has a category step only where the council has categories."""
    return bool(rules.categories)


def _draft_owner(resident_id: int) -> drafts.Owner:
    return drafts.Owner.resident(resident_id)


async def get_draft(session: AsyncSession, resident_id: int) -> Draft | None:
    return await drafts.get(session, _draft_owner(resident_id), DraftKind.PETITION)


async def start_draft(session: AsyncSession, rules: PetitionRules, author: Resident | None
                      ) -> Draft:
    """A fresh draft at the title step, for an author who may file now."""
    author = await check_can_file(session, rules, author)
    return await drafts.start(session, _draft_owner(author.id), DraftKind.PETITION, "title")


async def discard_draft(session: AsyncSession, resident_id: int) -> None:
    await drafts.discard(session, _draft_owner(resident_id), DraftKind.PETITION)


async def draft_title(session: AsyncSession, rules: PetitionRules, resident_id: int,
                      raw: str | None) -> Draft:
    """Step 1: a valid title, then the text is asked for."""
    title = validate_title(raw, rules)
    return await drafts.update(session, _draft_owner(resident_id), DraftKind.PETITION, "text",
                               missing=NO_DRAFT, title=title)


async def draft_text(session: AsyncSession, rules: PetitionRules, resident_id: int,
                     raw: str | None) -> Draft:
    """Step 2: a valid text, then the category (if the council has any) or the preview."""
    text = validate_text(raw, rules)
    step = "category" if asks_category(rules) else "preview"
    return await drafts.update(session, _draft_owner(resident_id), DraftKind.PETITION, step,
                               missing=NO_DRAFT, text=text)


async def draft_category(session: AsyncSession, rules: PetitionRules, resident_id: int,
                         raw: str | None) -> Draft:
    """Step 3: one of the council's categories, or none; then the preview."""
    category = validate_category(raw, rules)  # None ("no category") clears an earlier one
    return await drafts.update(session, _draft_owner(resident_id), DraftKind.PETITION,
                               "preview", missing=NO_DRAFT, category=category)


async def submit_draft(session: AsyncSession, rules: PetitionRules, author: Resident | None,
                       *, version: int | None = None, now: datetime | None = None) -> Petition:
    """File the resident's draft, claimed in the same transaction (the caller commits).

    The claim is a compare-and-set on the draft row: of two concurrent submissions one files
    the petition, the other gets `draft.already_submitted`; with `version`, a draft changed
    since its preview was shown is not filed (`draft.changed`). On an error the caller rolls
    back and the draft is there again.
    """
    author = _require_complete(author)
    claimed = await drafts.claim(session, _draft_owner(author.id), DraftKind.PETITION, version)
    data = claimed.data
    return await create(session, rules, author, title=data.get("title"), text=data.get("text"),
                        category=data.get("category"), now=now)


async def sign(
    session: AsyncSession,
    rules: PetitionRules,
    petition_id: int,
    resident: Resident | None,
    *,
    channel: str = "telegram",
    now: datetime | None = None,
) -> SignResult:
    """Add the resident's one signature; a repeat is reported, never counted twice.

    The insert and the counter update share the transaction; if the petition closed in
    between, the error makes the caller roll both back.
    """
    resident = _require_complete(resident)
    now = now or utcnow()
    petition = await get(session, petition_id)
    if not _visible(petition, resident.id, False):
        raise NotFound("petition.error.not_found")
    if not is_open(petition, now):
        raise Conflict("petition.error.closed")
    insert = insert_ignoring_conflicts(session, Signature.__table__)
    if resident.phone_hash is None:
        insert = insert.values(petition_id=petition_id, resident_id=resident.id,
                               channel=channel, created_at=now)
    else:
        # One phone number, one signature: a profile erased with /forget (or one whose number
        # passed to this resident) that signed already counts as this person, in one statement.
        signed_by_same_phone = (
            select(Signature.id)
            .where(Signature.petition_id == petition_id,
                   Signature.resident_id.in_(same_phone_profiles(resident)))
            .exists()
        )
        columns = Signature.__table__.c
        values = {"petition_id": petition_id, "resident_id": resident.id, "channel": channel,
                  "created_at": now}
        insert = insert.from_select(
            list(values),
            select(*(literal(value, columns[name].type) for name, value in values.items()))
            .where(~signed_by_same_phone),
        )
    inserted = (
        await session.execute(insert.returning(Signature.__table__.c.id))
    ).first()
    if inserted is None:
        count = await session.scalar(
            select(Petition.signature_count).where(Petition.id == petition_id)
        )
        return SignResult(False, int(count or 0), False)
    row = (
        await session.execute(
            update(Petition)
            .where(
                Petition.id == petition_id,
                Petition.status.in_(OPEN_FOR_SIGNING),
                Petition.deadline > now,
            )
            .values(signature_count=Petition.signature_count + 1)
            .returning(Petition.signature_count, Petition.status, Petition.threshold)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is None:
        raise Conflict("petition.error.closed")
    count, status, threshold = row
    reached = False
    if status == PetitionStatus.COLLECTING and threshold is not None and count >= threshold:
        reached = await _cross_threshold(session, rules, petition, now)
    return SignResult(True, count, reached)


async def _cross_threshold(
    session: AsyncSession, rules: PetitionRules, petition: Petition, now: datetime
) -> bool:
    """Move to 'awaiting answer' once; only the winner of this UPDATE notifies anyone."""
    won = (
        await session.execute(
            update(Petition)
            .where(
                Petition.id == petition.id,
                Petition.status == PetitionStatus.COLLECTING,
                Petition.signature_count >= Petition.threshold,
            )
            .values(
                status=PetitionStatus.AWAITING_ANSWER,
                reached_at=now,
                answer_due_at=working_days_due(now, rules.answer_working_days),
            )
            .returning(Petition.id, Petition.signature_count)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        return False
    count = won[1]
    number, title, author_id = petition.number, petition.title, petition.author_id
    signers = await _signer_ids(session, petition.id)
    residents = ([author_id] if author_id is not None else []) + signers
    dedupe = f"petition:{petition.id}:threshold"
    # Residents first: a moderator who also signed gets the residents' text, once.
    await outbox.notify_residents(
        session,
        residents,
        lambda tr: tr("petition.notify.threshold", number=number, title=title,
                      count=Raw(tr.plural("petition.signatures", count))),
        dedupe=dedupe,
        buttons=_open_button(rules, petition.id),
        now=now,
    )
    await outbox.notify(
        session,
        await outbox.staff_recipients(session, Role.MODERATOR),
        lambda tr: tr("petition.notify.threshold_staff", number=number, title=title,
                      count=Raw(tr.plural("petition.signatures", count)),
                      due=format_date(working_days_due(now, rules.answer_working_days))),
        dedupe=dedupe,
        now=now,
    )
    await _notify_channel(
        session,
        rules,
        lambda tr: tr("petition.notify.threshold_channel", number=number, title=title,
                      count=Raw(tr.plural("petition.signatures", count))),
        f"{dedupe}:channel",
        now,
    )
    return True


async def withdraw(
    session: AsyncSession, petition_id: int, resident_id: int, *, now: datetime | None = None
) -> int:
    """Take a signature back while collection is open; returns the new count."""
    now = now or utcnow()
    petition = await get(session, petition_id)
    if petition.status != PetitionStatus.COLLECTING or not is_open(petition, now):
        raise Conflict("petition.error.withdraw_closed")
    removed = (
        await session.execute(
            delete(Signature)
            .where(Signature.petition_id == petition_id, Signature.resident_id == resident_id)
            .returning(Signature.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if removed is None:
        raise Conflict("petition.error.not_signed")
    count = await session.scalar(
        update(Petition)
        .where(Petition.id == petition_id, Petition.status == PetitionStatus.COLLECTING)
        .values(signature_count=Petition.signature_count - 1)
        .returning(Petition.signature_count)
        .execution_options(synchronize_session=False)
    )
    if count is None:
        raise Conflict("petition.error.withdraw_closed")
    return int(count)


# ---- moderators' actions ------------------------------------------------------------------


async def _transition(
    session: AsyncSession,
    petition_id: int,
    from_statuses: Sequence[PetitionStatus],
    error_key: str,
    **values: object,
) -> Petition:
    """Change status only from the expected ones, atomically; a stale press gets `error_key`."""
    await get(session, petition_id)
    won = (
        await session.execute(
            update(Petition)
            .where(Petition.id == petition_id, Petition.status.in_(from_statuses))
            .values(**values)
            .returning(Petition.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        raise Conflict(error_key)
    petition = await session.get(Petition, petition_id, populate_existing=True)
    assert petition is not None
    return petition


async def approve(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    *,
    now: datetime | None = None,
) -> Petition:
    """Publish: collection starts now, deadline = now + period, threshold fixed from now on."""
    now = now or utcnow()
    petition = await _transition(
        session,
        petition_id,
        [PetitionStatus.MODERATION],
        "petition.error.already_moderated",
        status=PetitionStatus.COLLECTING,
        published_at=now,
        deadline=now + timedelta(days=rules.period_days),
        threshold=rules.threshold,
    )
    # Numbered only once the publication is won, from the shared locked counter: concurrent
    # approvals queue on its row instead of computing the same max + 1.
    petition.number = await counters.next_value(
        session, NUMBER_COUNTER, seed=select(func.max(Petition.number)).scalar_subquery()
    )
    await session.flush()
    await audit.record(session, actor, "petition.approve", "petition", petition_id,
                       number=petition.number)
    number, title = petition.number, petition.title
    deadline = format_date(now + timedelta(days=rules.period_days))
    if petition.author_id is not None:
        await outbox.notify_residents(
            session,
            [petition.author_id],
            lambda tr: tr("petition.notify.published", number=number, title=title,
                          deadline=deadline,
                          threshold=Raw(tr.plural("petition.signatures", rules.threshold))),
            dedupe=f"petition:{petition_id}:published",
            buttons=_open_button(rules, petition_id),
            now=now,
        )
    await _notify_channel(
        session,
        rules,
        lambda tr: tr("petition.notify.published_channel", number=number, title=title,
                      deadline=deadline),
        f"petition:{petition_id}:published:channel",
        now,
    )
    return petition


async def reject(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    reason: RejectReason | str,
    comment: str | None = None,
    *,
    now: datetime | None = None,
) -> Petition:
    """Reject with a reason code; an offensive petition is hidden from everyone."""
    try:
        code = RejectReason(reason)
    except ValueError:
        raise InvalidInput("petition.error.reason") from None
    clean_comment = _clean_text(comment) or None
    if clean_comment and len(clean_comment) > rules.comment_max:
        raise InvalidInput("petition.error.comment_long", limit=rules.comment_max)
    now = now or utcnow()
    status = PetitionStatus.HIDDEN if code == RejectReason.OFFENSIVE else PetitionStatus.REJECTED
    petition = await _transition(
        session,
        petition_id,
        [PetitionStatus.MODERATION],
        "petition.error.already_moderated",
        status=status,
        reject_reason=code.value,
        reject_comment=clean_comment,
        closed_at=now,
    )
    await audit.record(session, actor, "petition.reject", "petition", petition_id,
                       reason=code.value, comment=clean_comment)
    title = petition.title

    def render(tr: Texts) -> str:
        text = tr("petition.notify.rejected", title=title,
                  reason=Raw(tr(f"petition.reason.{code.value}")))
        if clean_comment:
            text += "\n\n" + tr("petition.notify.rejected_comment", comment=clean_comment)
        return text

    if petition.author_id is not None:
        await outbox.notify_residents(
            session, [petition.author_id], render, dedupe=f"petition:{petition_id}:rejected",
            now=now,
        )
    return petition


async def edit(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    *,
    title: str | None = None,
    text: str | None = None,
) -> Petition:
    """Fix an obvious typo before or during collection; the old wording stays in the audit."""
    petition = await get(session, petition_id)
    if petition.status not in (PetitionStatus.MODERATION, PetitionStatus.COLLECTING):
        raise Conflict("petition.error.edit_closed")
    changes: dict[str, dict[str, str]] = {}
    if title is not None:
        new_title = validate_title(title, rules)
        if new_title != petition.title:
            changes["title"] = {"old": petition.title, "new": new_title}
            petition.title = new_title
    if text is not None:
        new_text = validate_text(text, rules)
        if new_text != petition.text:
            changes["text"] = {"old": petition.text, "new": new_text}
            petition.text = new_text
    if not changes:
        raise InvalidInput("petition.error.edit_same")
    petition.search_text = _search_text(petition.title, petition.text)
    await session.flush()
    await audit.record(session, actor, "petition.edit", "petition", petition_id, **changes)
    return petition


async def mark_under_consideration(
    session: AsyncSession, actor: str, petition_id: int
) -> Petition:
    petition = await _transition(
        session,
        petition_id,
        [PetitionStatus.AWAITING_ANSWER],
        "petition.error.not_awaiting",
        status=PetitionStatus.UNDER_CONSIDERATION,
    )
    await audit.record(session, actor, "petition.consider", "petition", petition_id)
    return petition


async def publish_answer(
    session: AsyncSession,
    rules: PetitionRules,
    actor: str,
    petition_id: int,
    kind: AnswerKind | str,
    text: str | None,
    *,
    now: datetime | None = None,
) -> Petition:
    """Publish the council's answer; it goes to every signer and the author, once."""
    try:
        answer_kind = AnswerKind(kind)
    except ValueError:
        raise InvalidInput("petition.error.answer_kind") from None
    if text is None:
        raise InvalidInput("petition.error.not_text")
    answer = _clean_text(text)
    if not answer:
        raise InvalidInput("petition.error.answer_empty")
    if len(answer) > rules.answer_max:
        raise InvalidInput("petition.error.answer_long", limit=rules.answer_max,
                           length=len(answer))
    now = now or utcnow()
    petition = await _transition(
        session,
        petition_id,
        list(AWAITING),
        "petition.error.not_awaiting",
        status=PetitionStatus.ANSWERED,
        answer_kind=answer_kind.value,
        answer_text=answer,
        answered_at=now,
        closed_at=now,
    )
    await audit.record(session, actor, "petition.answer", "petition", petition_id,
                       kind=answer_kind.value)
    number, title = petition.number, petition.title
    signers = await _signer_ids(session, petition_id)
    residents = ([petition.author_id] if petition.author_id is not None else []) + signers

    def render(tr: Texts) -> str:
        return tr("petition.notify.answered", number=number, title=title,
                  kind=Raw(tr(f"petition.answer_kind.{answer_kind.value}")), answer=answer)

    await outbox.notify_residents(
        session, residents, render, dedupe=f"petition:{petition_id}:answer",
        buttons=_open_button(rules, petition_id), now=now,
    )
    await _notify_channel(session, rules, render, f"petition:{petition_id}:answer:channel", now)
    return petition


async def export_signatures(
    session: AsyncSession,
    actor: str,
    petition_id: int,
    header: tuple[str, str, str] = ("name", "address", "date"),
    forgotten: str = "",
) -> bytes:
    """CSV (name, address, date) of every signature for the council's formal consideration."""
    await get(session, petition_id)
    rows = await session.execute(
        select(Resident.full_name, Resident.street, Resident.building, Signature.created_at)
        .join(Resident, Resident.id == Signature.resident_id)
        .where(Signature.petition_id == petition_id)
        .order_by(Signature.created_at, Signature.id)
    )
    cells = [
        [name or forgotten, ", ".join(part for part in (street, building) if part),
         format_date(signed_at)]
        for name, street, building, signed_at in rows
    ]
    text = exports.csv_text(header, cells)
    await audit.record(session, actor, "petition.export", "petition", petition_id,
                       rows=len(cells))
    # A BOM so spreadsheet programs open Cyrillic correctly.
    return text.encode("utf-8-sig")


# ---- helpers ------------------------------------------------------------------------------


def _open_button(
    rules: PetitionRules, petition_id: int
) -> Callable[[Texts], list[list[dict[str, Any]]]] | None:
    """A link button that opens the petition's card in the bot (any channel that has URLs)."""
    if not rules.bot_username:
        return None
    url = f"https://t.me/{rules.bot_username}?start=petition_{petition_id}"
    return lambda tr: [[{"text": tr("petition.btn.open"), "url": url}]]


def _render(key: str, **params: Any) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr(key, **params)

    return render


def _render_counted(key: str, count: int, **params: Any) -> outbox.Render:
    """Render `key` with `count` spelled as '5 signatures' in the recipient's language."""

    def render(tr: Texts) -> str:
        return tr(key, count=Raw(tr.plural("petition.signatures", count)), **params)

    return render


async def _signer_ids(session: AsyncSession, petition_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Signature.resident_id).where(Signature.petition_id == petition_id)
        )
    )


async def _notify_channel(
    session: AsyncSession,
    rules: PetitionRules,
    render: outbox.Render,
    dedupe: str,
    now: datetime,
) -> None:
    """A public notice in the council's channel, when one is configured."""
    if rules.council_channel_id is None:
        return
    channel = outbox.Recipient(0, "telegram", str(rules.council_channel_id), "uk", None, None)
    await outbox.notify(session, [channel], render, dedupe=dedupe, now=now)


# ---- scheduler jobs -----------------------------------------------------------------------


async def close_expired(
    session: AsyncSession,
    now: datetime | None = None,
    appeal_rules: appeals.AppealRules = appeals.AppealRules(),
) -> list[int]:
    """Collection over without the threshold: close, and consider it as an appeal (Art. 23-1).

    The appeal is registered in the closing transaction, by whichever process wins the
    conditional UPDATE, so it exists exactly once (a unique petition_id backs that up).
    """
    now = now or utcnow()
    expired = (Petition.status == PetitionStatus.COLLECTING, Petition.deadline <= now)
    # A read first: on most ticks nothing expired, and then nothing is written.
    if await session.scalar(select(Petition.id).where(*expired).limit(1)) is None:
        return []
    closed = list(
        (
            await session.execute(
                update(Petition)
                .where(*expired)
                .values(status=PetitionStatus.NOT_ENOUGH_SIGNATURES, closed_at=now)
                .returning(Petition.id, Petition.number, Petition.title, Petition.text,
                           Petition.category, Petition.author_id, Petition.signature_count,
                           Petition.threshold)
                .execution_options(synchronize_session=False)
            )
        ).all()
    )
    staff = await outbox.staff_recipients(session, Role.MODERATOR) if closed else []
    for pid, number, title, text, category, author_id, count, threshold in closed:
        author = await session.get(Resident, author_id) if author_id is not None else None
        appeal = await appeals.register_from_petition(
            session, appeal_rules, petition_id=pid, author=author, text=text,
            category=category, now=now,
        )
        dedupe = f"petition:{pid}:expired"
        if appeal is None:
            # Art. 8: nobody to answer. Staff and the audit log say why no appeal exists.
            await audit.record(session, "system", "petition.not_considered_anonymous",
                               "petition", pid, number=number)
            await outbox.notify(
                session, staff,
                _render_counted("petition.notify.expired_anonymous_staff", count,
                                number=number, title=title),
                dedupe=dedupe, now=now,
            )
            continue
        appeal_number, due = appeal.number, format_date(appeal.deadline)
        await outbox.notify_residents(
            session,
            [author_id],
            _render_counted("petition.notify.expired", count, number=number, title=title,
                            threshold=threshold or 0, appeal=appeal_number, deadline=due),
            dedupe=dedupe,
            now=now,
        )
        await outbox.notify(
            session,
            staff,
            _render_counted("petition.notify.expired_staff", count, number=number, title=title,
                            appeal=appeal_number, deadline=due),
            dedupe=dedupe,
            now=now,
        )
    return [row[0] for row in closed]


async def warn_moderation_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Tell moderators, once per petition, that one has waited past the moderation deadline."""
    now = now or utcnow()
    overdue = (
        Petition.status == PetitionStatus.MODERATION,
        Petition.moderation_due_at < now,
        Petition.moderation_warned_at.is_(None),
    )
    if await session.scalar(select(Petition.id).where(*overdue).limit(1)) is None:
        return 0
    rows = list(
        await session.execute(
            update(Petition)
            .where(*overdue)
            .values(moderation_warned_at=now)
            .returning(Petition.id, Petition.title, Petition.created_at)
            .execution_options(synchronize_session=False)
        )
    )
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    queued = 0
    for pid, title, created_at in rows:
        queued += await outbox.notify(
            session,
            staff,
            _render("petition.notify.moderation_overdue_staff", title=title,
                    filed=format_date(created_at)),
            dedupe=f"petition:{pid}:moderation_overdue",
            now=now,
        )
    return queued


async def remind_answer_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Remind moderators, once a day, of every petition whose answer is overdue."""
    now = now or utcnow()
    rows = list(
        await session.execute(
            select(Petition.id, Petition.number, Petition.title, Petition.answer_due_at).where(
                Petition.status.in_(AWAITING), Petition.answer_due_at < now
            )
        )
    )
    if not rows:
        return 0
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    day = to_local(now).date().isoformat()
    queued = 0
    for pid, number, title, due in rows:
        queued += await outbox.notify(
            session,
            staff,
            _render("petition.notify.answer_overdue_staff", number=number, title=title,
                    due=format_date(due)),
            dedupe=f"petition:{pid}:answer_overdue:{day}",
            now=now,
        )
    return queued


# ---- the feature's jobs (declared in its Feature; the context carries the configured rules) ---


async def close_expired_job(ctx: jobs.JobContext) -> None:
    """Closing registers appeals: with the appeal rules the appeals handlers use."""
    await close_expired(ctx.session, ctx.now, ctx.section(appeals.AppealRules))


async def moderation_overdue_job(ctx: jobs.JobContext) -> None:
    await warn_moderation_overdue(ctx.session, ctx.now)


async def answer_overdue_job(ctx: jobs.JobContext) -> None:
    await remind_answer_overdue(ctx.session, ctx.now)

