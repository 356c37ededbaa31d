"""All models, imported here so `Base.metadata` (and Alembic) sees every table."""

from services.models.appeals import Appeal, AppealStatus, AppealType
from services.models.broadcasts import Broadcast, Event, Subscription, Topic
from services.models.core import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    PeriodicRun,
    Resident,
    Role,
    ScheduledTask,
    StaffRole,
    TaskStatus,
)
from services.models.outbox import OutboxMessage, OutboxStatus, Priority

# Feature modules register their tables on import (one line each, kept sorted).
from services.models.petitions import AnswerKind, Petition, PetitionStatus, RejectReason, Signature
from services.votes import models as votes_models  # noqa: F401

__all__ = [
    "AnswerKind",
    "Appeal",
    "AppealStatus",
    "AppealType",
    "AuditEntry",
    "Broadcast",
    "Channel",
    "ChannelIdentity",
    "Event",
    "OutboxMessage",
    "OutboxStatus",
    "PeriodicRun",
    "Petition",
    "PetitionStatus",
    "Priority",
    "RejectReason",
    "Resident",
    "Role",
    "ScheduledTask",
    "Signature",
    "StaffRole",
    "Subscription",
    "TaskStatus",
    "Topic",
]
