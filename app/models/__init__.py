"""ORM models; importing this package registers every table on `Base.metadata`."""

from app.models.audit import AuditEntry
from app.models.event import Event
from app.models.manage_token import ManageToken
from app.models.organiser import AccessToken, Organiser, OrganiserRole
from app.models.outbox import DeliveryState, MailKind, OutboxMessage
from app.models.rate_limit import RateLimitHit
from app.models.registration import (
    ACTIVE_STATUSES,
    AffiliationType,
    Language,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "AccessToken",
    "AffiliationType",
    "AuditEntry",
    "DeliveryState",
    "Event",
    "Language",
    "MailKind",
    "ManageToken",
    "Organiser",
    "OrganiserRole",
    "OutboxMessage",
    "RateLimitHit",
    "Registration",
    "RegistrationStatus",
]
