"""Registration rules: sign-up, the registrant's own edits and cancellation."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.events.seating import (
    close_waitlist_gap,
    fill_free_seats,
    next_waitlist_position,
    seats_left,
)
from app.events.service import get_event
from app.kit.errors import (
    EventFull,
    InvalidToken,
    InvalidTransition,
    OrgLimitReached,
    RegistrationClosed,
)
from app.kit.secrets import digest
from app.kit.text import fold, organisation_key
from app.mail import notifications
from app.mail.manage_links import issue_manage_token
from app.models import ACTIVE_STATUSES, Event, ManageToken, Registration, RegistrationStatus
from app.registrations.schemas import RegistrationCreate, RegistrationUpdate
from app.tickets.code import ticket_code_hash


@dataclass(frozen=True)
class Registered:
    registration: Registration
    manage_token: str


@dataclass(frozen=True)
class Duplicate:
    """The e-mail already holds an active registration for the event."""

    existing: Registration
    resend_after: datetime | None = None
    """None: the manage link was e-mailed again now; else when it can be asked for again."""


def search_text(registration: Registration) -> str:
    parts = (
        registration.given_name,
        registration.family_name,
        registration.email,
        registration.organisation,
    )
    return fold(" ".join(parts))


async def find_active_by_email(
    session: AsyncSession, event: Event, email: str
) -> Registration | None:
    query = (
        select(Registration)
        .options(joinedload(Registration.event))
        .where(
            Registration.event_id == event.id,
            # The database lower-cases both sides, exactly as the unique index does
            # (Python's lower() differs for some letters, such as the Turkish İ).
            func.lower(Registration.email) == func.lower(email),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )
    return (await session.scalars(query)).first()


async def check_org_limit(
    session: AsyncSession, event: Event, key: str, *, excluding: Registration | None = None
) -> None:
    limit = event.max_per_organisation
    if limit is None:
        return
    query = select(func.count()).where(
        Registration.event_id == event.id,
        Registration.organisation_key == key,
        Registration.status.in_(ACTIVE_STATUSES),
    )
    if excluding is not None:
        query = query.where(Registration.id != excluding.id)
    if (await session.scalar(query) or 0) >= limit:
        raise OrgLimitReached(
            f"This event takes at most {limit} registration(s) per organisation, "
            "and your organisation has reached it. Please contact the organisers."
        )


async def initial_status(session: AsyncSession, event: Event) -> RegistrationStatus:
    if event.approval_required:
        return RegistrationStatus.pending_approval
    if await seats_left(session, event) > 0:
        return RegistrationStatus.confirmed
    if event.waitlist_enabled:
        return RegistrationStatus.waitlisted
    raise EventFull("This event is full and has no waitlist.")


async def new_registration(
    session: AsyncSession,
    *,
    event: Event,
    data: RegistrationCreate,
    status: RegistrationStatus,
    now: datetime,
    ticket_key: str,
) -> Registration:
    """The row for a sign-up in `status` (not added to the session yet): with its
    organisation key, search text, ticket code digest and, on the waitlist, the
    next place (the caller holds the event's lock). The one place a row is built.
    """
    registration = Registration(
        # Chosen here, not at flush: the ticket code is derived from it.
        id=uuid.uuid4(),
        event=event,
        **data.model_dump(exclude={"consent"}),
        organisation_key=organisation_key(data.organisation),
        status=status,
        waitlist_position=(
            await next_waitlist_position(session, event)
            if status == RegistrationStatus.waitlisted
            else None
        ),
        created_at=now,
        updated_at=now,
    )
    registration.search_text = search_text(registration)
    registration.ticket_code_hash = ticket_code_hash(registration.id, ticket_key)
    return registration


async def register(
    session: AsyncSession,
    *,
    event_slug: str,
    data: RegistrationCreate,
    now: datetime,
    ticket_key: str,
) -> Registered | Duplicate:
    """Sign someone up: a seat while they last, then the waitlist.

    `ticket_key` is the app's signing key, which keys the QR ticket code.
    """
    event = await get_event(session, event_slug, lock=True)
    if not event.registration_open_at(now):
        raise RegistrationClosed("Registration for this event is not open.")
    existing = await find_active_by_email(session, event, data.email)
    if existing is not None:
        resend_after = await notifications.manage_link_requested(
            session, registration=existing, now=now
        )
        return Duplicate(existing=existing, resend_after=resend_after)
    key = organisation_key(data.organisation)
    await check_org_limit(session, event, key)
    status = await initial_status(session, event)
    registration = await new_registration(
        session, event=event, data=data, status=status, now=now, ticket_key=ticket_key
    )
    session.add(registration)
    try:
        # The partial unique index is the last word on duplicates.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        existing = await find_active_by_email(session, event, data.email)
        if existing is None:
            raise
        resend_after = await notifications.manage_link_requested(
            session, registration=existing, now=now
        )
        return Duplicate(existing=existing, resend_after=resend_after)
    token = await issue_manage_token(session, registration, now=now)
    await notifications.registration_received(
        session, registration=registration, manage_token=token, now=now
    )
    return Registered(registration=registration, manage_token=token)


async def get_by_token(session: AsyncSession, token: str, *, reload: bool = False) -> Registration:
    query = (
        select(Registration)
        .join(ManageToken, ManageToken.registration_id == Registration.id)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(ManageToken.token_hash == digest(token))
        .execution_options(populate_existing=reload)
    )
    registration = (await session.scalars(query)).one_or_none()
    if registration is None:
        raise InvalidToken("This link is not valid. Please use the link from your latest e-mail.")
    return registration


async def lock_for_change(session: AsyncSession, token: str) -> tuple[Event, Registration]:
    """Lock the event (seat changes are serialised on it), then re-read the registration."""
    registration = await get_by_token(session, token)
    event = await get_event(session, registration.event.slug, lock=True)
    registration = await get_by_token(session, token, reload=True)
    if not registration.is_active:
        raise InvalidTransition(f"This registration is {registration.status} and can't be changed.")
    return event, registration


async def update_registration(
    session: AsyncSession, *, token: str, changes: RegistrationUpdate, now: datetime
) -> Registration:
    event, registration = await lock_for_change(session, token)
    values = changes.changes()
    if "organisation" in values:
        key = organisation_key(values["organisation"])
        if key != registration.organisation_key:
            await check_org_limit(session, event, key, excluding=registration)
        registration.organisation_key = key
    for field, value in values.items():
        setattr(registration, field, value)
    registration.search_text = search_text(registration)
    registration.updated_at = now
    await session.flush()
    return registration


async def cancel_registration(
    session: AsyncSession, *, registration: Registration, event: Event, now: datetime
) -> list[Registration]:
    """Cancel; a freed seat goes to the waitlist at once. Returns those promoted."""
    was, position = registration.status, registration.waitlist_position
    registration.status = RegistrationStatus.cancelled
    registration.waitlist_position = None
    registration.updated_at = now
    await session.flush()
    await notifications.status_changed(session, registration=registration, previous=was, now=now)
    if was == RegistrationStatus.waitlisted and position is not None:
        await close_waitlist_gap(session, event, after=position, by=1)
    if was == RegistrationStatus.confirmed:
        return await fill_free_seats(session, event=event, now=now)
    return []


def ensure_self_cancellable(registration: Registration) -> None:
    """A registrant may cancel themselves until they have checked in (their seat is in use)."""
    if registration.checked_in_at is not None:
        raise InvalidTransition(
            "You have checked in at the event, so your registration can no longer be "
            "cancelled. If you are leaving, please tell the organisers.",
            stage="checked_in",
            checked_in_at=registration.checked_in_at.isoformat(),
        )


async def cancel_by_token(session: AsyncSession, *, token: str, now: datetime) -> Registration:
    event, registration = await lock_for_change(session, token)
    ensure_self_cancellable(registration)
    await cancel_registration(session, registration=registration, event=event, now=now)
    return registration
