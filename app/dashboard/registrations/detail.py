"""A registration as its detail page shows it: the record, its e-mails, its audit trail."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.mail import outbox
from app.models import AuditEntry, Event, OutboxMessage, Registration
from app.registrations import admin as registration_admin


@dataclass(frozen=True)
class Change:
    """One audit entry, with only the values it changed."""

    entry: AuditEntry
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class RegistrationRecord:
    registration: Registration
    emails: list[OutboxMessage]
    """Queued or sent to the registrant, oldest first."""
    trail: list[Change]
    """Every organiser's (or the system's) change to it, oldest first."""


async def registration_record(
    session: AsyncSession, *, event: Event, registration_id: uuid.UUID
) -> RegistrationRecord:
    registration = await registration_admin.get_registration(
        session, event=event, registration_id=registration_id
    )
    return RegistrationRecord(
        registration=registration,
        emails=await outbox.history(session, registration.id),
        trail=[
            Change(entry, *audit.changed_values(entry.before, entry.after))
            for entry in await audit.entries_about(
                session, target_type="registration", target_id=registration.id
            )
        ],
    )
