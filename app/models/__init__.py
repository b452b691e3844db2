"""ORM models; importing this package registers every table on `Base.metadata`."""

from app.models.event import Event
from app.models.outbox import DeliveryState, MailKind, OutboxMessage
from app.models.registration import (
    ACTIVE_STATUSES,
    AffiliationType,
    Language,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "AffiliationType",
    "DeliveryState",
    "Event",
    "Language",
    "MailKind",
    "OutboxMessage",
    "Registration",
    "RegistrationStatus",
]
