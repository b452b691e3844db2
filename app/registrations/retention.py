"""Data retention: attendees' personal data does not outlive its purpose.

Once an event ended more than the retention period ago, its registrations, the
e-mails sent about them and the audit entries about it are deleted (the event
itself, which holds no personal data, stays). Delivered, failed or suppressed
e-mails older than the period go too, as do organisers' expired or revoked
sign-in tokens.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Delete, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.models import (
    AccessToken,
    AuditEntry,
    DeliveryState,
    Event,
    OutboxMessage,
    Registration,
)


@dataclass(frozen=True)
class PurgeReport:
    events: list[str]
    """Slugs of the events whose attendee data is deleted."""
    registrations: int
    emails: int
    audit_entries: int
    access_tokens: int


async def purge(session: AsyncSession, *, now: datetime, keep: timedelta) -> PurgeReport:
    """Delete what is past retention; the caller commits (or rolls back, for a dry run)."""
    cutoff = now - keep
    ended = list(
        (await session.execute(select(Event.id, Event.slug).where(Event.ends_at < cutoff))).all()
    )
    ended_ids = [row.id for row in ended]
    emails = await _delete(
        session,
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.event_id.in_(ended_ids),
                OutboxMessage.state.in_(
                    [DeliveryState.sent, DeliveryState.failed, DeliveryState.suppressed]
                )
                & (OutboxMessage.created_at < cutoff),
            )
        ),
        OutboxMessage.id,
    )
    registrations = await _delete(
        session, delete(Registration).where(Registration.event_id.in_(ended_ids)), Registration.id
    )
    audit_entries = await _delete(
        session, delete(AuditEntry).where(AuditEntry.event_id.in_(ended_ids)), AuditEntry.id
    )
    access_tokens = await _delete(
        session,
        delete(AccessToken).where(
            or_(AccessToken.expires_at < now, AccessToken.revoked_at.is_not(None))
        ),
        AccessToken.id,
    )
    return PurgeReport(
        events=[row.slug for row in ended],
        registrations=registrations,
        emails=emails,
        audit_entries=audit_entries,
        access_tokens=access_tokens,
    )


async def _delete(session: AsyncSession, statement: Delete, key: InstrumentedAttribute[Any]) -> int:
    """Run the DELETE; how many rows it removed."""
    return len((await session.execute(statement.returning(key))).all())
