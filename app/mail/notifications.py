"""What registrants are told, and when: the seam between registration rules and e-mail.

Each function is called inside the transaction of the change that causes the
message and queues it in the e-mail outbox (`app.mail.outbox`), so the message
goes out exactly when that change commits, and never for one rolled back.

Only digests of manage tokens are stored, so a message that carries the manage
link after sign-up issues a token of its own; the links in earlier messages keep
working (`app.mail.manage_links.issue_manage_token`).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.mail.headers import ascii_domain
from app.mail.manage_links import issue_manage_token
from app.mail.outbox import Capping, capping, enqueue, last_queued, message_values, queue_values
from app.models import ACTIVE_STATUSES, Event, MailKind, Registration, RegistrationStatus

MANAGE_LINK_INTERVAL = timedelta(minutes=10)

# The changes registrants are told of (with an updated calendar entry).
CALENDAR_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "venue"})

_KIND_FOR_STATUS = {
    RegistrationStatus.confirmed: MailKind.confirmed,
    RegistrationStatus.waitlisted: MailKind.waitlisted,
    RegistrationStatus.pending_approval: MailKind.pending_approval,
    RegistrationStatus.cancelled: MailKind.cancelled,
    RegistrationStatus.declined: MailKind.declined,
}

# A substitute's first message, by the status they took over.
_SUBSTITUTE_KIND = {
    RegistrationStatus.confirmed: MailKind.substitute_confirmed,
    RegistrationStatus.waitlisted: MailKind.substitute_waitlisted,
    RegistrationStatus.pending_approval: MailKind.substitute_pending_approval,
}


def _calendar_for(registration: Registration) -> str | None:
    """Only a confirmed seat goes into the registrant's calendar."""
    return "PUBLISH" if registration.status == RegistrationStatus.confirmed else None


async def _with_link(
    session: AsyncSession, registration: Registration, kind: MailKind, now: datetime
) -> None:
    await enqueue(
        session,
        kind=kind,
        registration=registration,
        now=now,
        manage_token=await issue_manage_token(session, registration, now=now),
        calendar_method=_calendar_for(registration),
        # Stored when the writer knows it already; else the sender reads it.
        waitlist_position=registration.known_waitlist_position,
    )


async def registration_received(
    session: AsyncSession, *, registration: Registration, manage_token: str, now: datetime
) -> None:
    """A new sign-up: confirmed, waitlisted (with position) or pending approval."""
    capped = await capping(session, ascii_domain(registration.email), now=now)
    await queue_values(
        session,
        received_message(
            session, registration=registration, manage_token=manage_token, now=now, capped=capped
        ),
    )


def received_message(
    session: AsyncSession,
    *,
    registration: Registration,
    manage_token: str,
    now: datetime,
    capped: Capping,
) -> dict[str, Any]:
    """The outbox row of `registration_received`, the cap looked up already: the
    sign-up inserts it in the one statement that inserts the registration."""
    return message_values(
        session,
        kind=_KIND_FOR_STATUS[registration.status],
        registration=registration,
        now=now,
        capped=capped,
        manage_token=manage_token,
        calendar_method=_calendar_for(registration),
        waitlist_position=registration.known_waitlist_position,
    )


async def companion_registered(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> None:
    """An invitee's named guest has a seat (or a waitlist place): their ticket and
    calendar entry go to the invitee's address (theirs too), with no manage link:
    the invitee manages their companions."""
    await enqueue(
        session,
        kind=_KIND_FOR_STATUS[registration.status],
        registration=registration,
        now=now,
        calendar_method=_calendar_for(registration),
        waitlist_position=registration.known_waitlist_position,
    )


async def substituted(
    session: AsyncSession,
    *,
    original: Registration,
    substitute: Registration,
    manage_token: str,
    now: datetime,
) -> None:
    """A registrant passed their place to a colleague: the substitute gets their own
    link (with the ticket and calendar entry once confirmed, else their waitlist
    position or the approval to come); the one replaced, a notice and a
    METHOD:CANCEL for their calendar entry."""
    await enqueue(
        session,
        kind=_SUBSTITUTE_KIND[substitute.status],
        registration=substitute,
        now=now,
        manage_token=manage_token,
        calendar_method=_calendar_for(substitute),
        # Read when sent: the position taken over is not counted under the event's lock.
        waitlist_position=substitute.known_waitlist_position,
    )
    await enqueue(
        session,
        kind=MailKind.seat_passed_on,
        registration=original,
        now=now,
        calendar_method="CANCEL",
    )


async def manage_link_requested(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> datetime | None:
    """A second sign-up with the same e-mail: send the manage link again (rate-limited).

    None when the link was sent now; otherwise the moment it can be asked for again.
    """
    last = await last_queued(session, registration=registration, kind=MailKind.manage_link)
    if last is not None and last >= now - MANAGE_LINK_INTERVAL:
        return last + MANAGE_LINK_INTERVAL
    await _with_link(session, registration, MailKind.manage_link, now)
    return None


async def verification_requested(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> None:
    """A sign-up awaiting verification: its link (a manage link) confirms the address."""
    await _with_link(session, registration, MailKind.verify_email, now)


async def _tell_status(
    session: AsyncSession, registration: Registration, kind: MailKind, now: datetime
) -> None:
    """A registration still active gets its manage link; one that is over, none, and
    a METHOD:CANCEL that removes any entry from the registrant's calendar (the one
    from the confirmation, or a tentative one downloaded while waiting)."""
    if registration.is_active:
        await _with_link(session, registration, kind, now)
    else:
        await enqueue(
            session, kind=kind, registration=registration, now=now, calendar_method="CANCEL"
        )


async def status_changed(
    session: AsyncSession,
    *,
    registration: Registration,
    previous: RegistrationStatus,
    now: datetime,
) -> None:
    """Promoted from the waitlist, approved (to a seat or the waitlist), declined or cancelled."""
    status = registration.status
    promoted = status == RegistrationStatus.confirmed and previous == RegistrationStatus.waitlisted
    kind = MailKind.promoted if promoted else _KIND_FOR_STATUS[status]
    await _tell_status(session, registration, kind, now)


async def confirmation_requested(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> None:
    """An organiser asked for the confirmation (of the current status) to be sent again."""
    await _tell_status(session, registration, _KIND_FOR_STATUS[registration.status], now)


async def _active_registrations(session: AsyncSession, event: Event) -> list[Registration]:
    query = (
        select(Registration)
        .options(joinedload(Registration.event))
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Registration.signup_seq)
    )
    return list(await session.scalars(query))


async def event_changed(
    session: AsyncSession, *, event: Event, changed: set[str], now: datetime
) -> None:
    """The event's time or venue changed: every active registrant gets an updated entry."""
    if not changed & CALENDAR_FIELDS:
        return
    event.ical_sequence += 1
    await session.flush()
    for registration in await _active_registrations(session, event):
        await _with_link(session, registration, MailKind.event_changed, now)


async def event_cancelled(session: AsyncSession, *, event: Event, now: datetime) -> None:
    """The event is off: every active registrant gets a METHOD:CANCEL for their entry.

    Called before their registrations are cancelled (they are still active here).
    """
    event.ical_sequence += 1
    await session.flush()
    for registration in await _active_registrations(session, event):
        await enqueue(
            session,
            kind=MailKind.event_cancelled,
            registration=registration,
            now=now,
            calendar_method="CANCEL",
        )


async def reminder_due(session: AsyncSession, *, registration: Registration, now: datetime) -> None:
    """A scheduled reminder (`app.schedule.reminders`) to a confirmed registrant: the
    confirmation's content (ticket, QR, PDF), an updated calendar entry and their link."""
    await _with_link(session, registration, MailKind.reminder, now)


async def offer_made(session: AsyncSession, *, registration: Registration, now: datetime) -> None:
    """A seat is offered to a waitlisted registrant until `offer_expires_at`: the links to
    accept or decline it (on their manage page), and their position."""
    await _with_link(session, registration, MailKind.offer, now)


async def offer_lapsed(session: AsyncSession, *, registration: Registration, now: datetime) -> None:
    """The offer was not taken up in time: the registration has ended (a METHOD:CANCEL
    removes any tentative calendar entry)."""
    await enqueue(
        session,
        kind=MailKind.offer_lapsed,
        registration=registration,
        now=now,
        calendar_method="CANCEL",
    )
