"""All models, imported here so `Base.metadata` (and Alembic) sees every table."""

from services.appeals.models import Appeal, AppealStatus, AppealType
from services.models.broadcasts import Broadcast, Event, Subscription, Topic
from services.models.core import (
    AppSecret,
    AuditEntry,
    Channel,
    ChannelIdentity,
    Counter,
    PeriodicRun,
    Resident,
    Role,
    ScheduledTask,
    StaffRole,
    StaffRoleVersion,
    TaskStatus,
)
from services.models.drafts import Draft
from services.models.outbox import OutboxMessage, OutboxSender, OutboxStatus, Priority

# Feature modules register their tables on import (one line each, kept sorted).
from services.models.petitions import AnswerKind, Petition, PetitionStatus, RejectReason, Signature
from services.polls import models as polls_models  # noqa: F401
from services.votes import models as votes_models  # noqa: F401

__all__ = [
    "AnswerKind",
    "AppSecret",
    "Appeal",
    "AppealStatus",
    "AppealType",
    "AuditEntry",
    "Broadcast",
    "Channel",
    "ChannelIdentity",
    "Counter",
    "Draft",
    "Event",
    "OutboxMessage",
    "OutboxSender",
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
    "StaffRoleVersion",
    "Subscription",
    "TaskStatus",
    "Topic",
]
