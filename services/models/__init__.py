"""All models, imported here so `Base.metadata` (and Alembic) sees every table."""

from services.appeals.models import Appeal, AppealStatus, AppealType
from services.models.channels import ChannelAlias, ChannelKeyboard, InboundEvent, InboundStatus
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

# isort: split
# Feature packages' tables, after the core names above: importing a feature package runs its
# modules, which import those names from here (and core services as modules, `from services
# import drafts`, since the one importing this package may be half-imported yet).
from services.broadcasts.models import Broadcast
from services.events.models import Event, Subscription, Topic
from services.petitions.models import AnswerKind, Petition, PetitionStatus, RejectReason, Signature
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
    "ChannelAlias",
    "ChannelIdentity",
    "ChannelKeyboard",
    "Counter",
    "Draft",
    "Event",
    "InboundEvent",
    "InboundStatus",
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
