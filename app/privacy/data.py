"""The registrant's own data: everything held about them, and its erasure.

Erasure frees the place as a cancellation does (the waitlist moves, and those
promoted are told), then blanks what identifies the person: names, e-mail,
organisation, job title, free text, the addresses and contents of their
e-mails, and their manage links (so their link answers 404 `invalid_token`
from then on). What counts need stays: the status, affiliation type, country,
language and dates, so the event's figures and the audit trail stay right.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.events.service import get_event
from app.mail.outbox import history
from app.models import (
    AuditEntry,
    DeliveryState,
    ManageToken,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from app.registrations.service import cancel_registration, get_by_token

# Personal values an audit entry might hold about a registration; erasure drops them.
PERSONAL_FIELDS = frozenset(
    {"email", "given_name", "family_name", "organisation", "job_title", "accessibility_needs"}
)
ERASED_EMAIL_DOMAIN = "erased.invalid"
SUPPRESSED_ERASED = "not sent: the registrant had their data erased"


def erased_email(registration_id: uuid.UUID) -> str:
    """A placeholder that is nobody's address (RFC 2606 `.invalid`) and unique per row."""
    return f"{registration_id}@{ERASED_EMAIL_DOMAIN}"


async def audit_entries_about(
    session: AsyncSession, registration_id: uuid.UUID
) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "registration",
            AuditEntry.target_id == str(registration_id),
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return list(await session.scalars(query))


async def held_data(session: AsyncSession, registration: Registration) -> dict[str, Any]:
    """The e-mails sent to the registrant and the audit entries about them, JSON-ready."""
    emails = [
        {
            "kind": message.kind,
            "subject": message.subject,
            "recipient": message.recipient,
            "state": message.state,
            "queued_at": message.created_at,
            "sent_at": message.sent_at,
            "attempts": message.attempts,
        }
        for message in await history(session, registration.id)
    ]
    entries = [
        {
            "action": entry.action,
            "by": "organiser" if entry.organiser_id is not None else entry.actor,
            "at": entry.created_at,
            "before": entry.before,
            "after": entry.after,
        }
        for entry in await audit_entries_about(session, registration.id)
    ]
    return {"emails": emails, "audit": entries}


async def erase(session: AsyncSession, *, token: str, now: datetime) -> None:
    """Free the place as a cancellation does, then remove the personal data (module doc)."""
    registration = await get_by_token(session, token)
    # A message to them being sent right now has its row locked by the worker until
    # it is settled: wait for it here, before any other lock, so that nothing goes
    # out once the erasure is done (what is still pending is then ours to withdraw).
    await session.execute(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.state == DeliveryState.pending,
        )
        .with_for_update()
    )
    event = await get_event(session, registration.event.slug, lock=True)
    registration = await get_by_token(session, token, reload=True)
    before = audit.as_json({"status": registration.status})
    # Someone who has checked in keeps their (used) seat: the attendance stays counted.
    if registration.is_active and registration.checked_in_at is None:
        await cancel_registration(session, registration=registration, event=event, now=now)
    elif registration.status == RegistrationStatus.pending_verification:
        registration.status = RegistrationStatus.cancelled
    await _scrub(session, registration, now=now)
    await audit.record(
        session,
        actor=None,
        anonymous_actor=audit.REGISTRANT_ACTOR,
        action="registration.erase",
        target_type="registration",
        target_id=registration.id,
        event_id=event.id,
        before=before,
        after=audit.as_json({"status": registration.status, "erased_at": now}),
        now=now,
    )


async def _scrub(session: AsyncSession, registration: Registration, *, now: datetime) -> None:
    registration.email = erased_email(registration.id)
    registration.given_name = registration.family_name = ""
    registration.organisation = registration.organisation_key = ""
    registration.job_title = registration.accessibility_needs = None
    registration.search_text = ""
    registration.erased_at = registration.updated_at = now
    await session.flush()
    messages = OutboxMessage.registration_id == registration.id
    # What is still to send (the cancellation just queued among it) is never sent.
    await session.execute(
        update(OutboxMessage)
        .where(messages, OutboxMessage.state == DeliveryState.pending)
        .values(state=DeliveryState.suppressed, last_error=SUPPRESSED_ERASED, claimed_until=None)
    )
    await session.execute(
        update(OutboxMessage)
        .where(messages)
        .values(recipient=registration.email, recipient_key=None, body=None, manage_token=None)
    )
    await session.execute(delete(ManageToken).where(ManageToken.registration_id == registration.id))
    for entry in await audit_entries_about(session, registration.id):
        entry.before = _without_personal(entry.before)
        entry.after = _without_personal(entry.after)
    await session.flush()


def _without_personal(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key not in PERSONAL_FIELDS}
