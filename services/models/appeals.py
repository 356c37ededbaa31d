"""The appeals tables live in services/appeals/models.py; this name stays for old imports."""

from services.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealDraft,
    AppealEvent,
    AppealStatus,
    AppealSupporter,
    AppealType,
    AttachmentKind,
)

__all__ = ["Appeal", "AppealAttachment", "AppealDraft", "AppealEvent", "AppealStatus",
           "AppealSupporter", "AppealType", "AttachmentKind"]
