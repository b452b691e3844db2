"""ORM models; importing this package registers every table on `Base.metadata`."""

from app.models.audit import AuditEntry
from app.models.event import Event, Promotion
from app.models.event_counters import EventCounters, EventTally
from app.models.invitations import ANSWERABLE_SQL, Access, Invitation, InvitationStatus
from app.models.manage_token import ManageToken
from app.models.organiser import AccessToken, Organiser, OrganiserRole, TokenKind
from app.models.outbox import (
    INVITATION_KINDS,
    Broadcast,
    DeliveryState,
    JobKind,
    MailKind,
    OutboxMessage,
    OutboxTally,
    ScheduledJob,
)
from app.models.rate_limit import RateLimitHit
from app.models.registration import (
    ACTIVE_SQL,
    ACTIVE_STATUSES,
    UNIQUE_ACTIVE_SQL,
    WAITLIST_ORDER,
    AffiliationType,
    Language,
    PositionNotLoaded,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ACTIVE_SQL",
    "ACTIVE_STATUSES",
    "ANSWERABLE_SQL",
    "INVITATION_KINDS",
    "UNIQUE_ACTIVE_SQL",
    "WAITLIST_ORDER",
    "Access",
    "AccessToken",
    "AffiliationType",
    "AuditEntry",
    "Broadcast",
    "DeliveryState",
    "Event",
    "EventCounters",
    "EventTally",
    "Invitation",
    "InvitationStatus",
    "JobKind",
    "Language",
    "MailKind",
    "ManageToken",
    "Organiser",
    "OrganiserRole",
    "OutboxMessage",
    "OutboxTally",
    "PositionNotLoaded",
    "Promotion",
    "RateLimitHit",
    "Registration",
    "RegistrationStatus",
    "ScheduledJob",
    "TokenKind",
]
