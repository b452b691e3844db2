"""Double opt-in: the e-mailed link confirms a sign-up's address, and only then
does the sign-up take its place (`email_verification` events).

Until then the registration is `pending_verification`: it holds no seat, is not
counted, and blocks nobody; after VERIFICATION_PERIOD it lapses and the worker's
housekeeping deletes it.
"""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.service import get_event
from app.kit.errors import (
    AlreadyRegistered,
    InvalidTransition,
    RegistrationClosed,
    VerificationExpired,
)
from app.mail import notifications
from app.mail.manage_links import issue_manage_token
from app.models import OutboxMessage, Registration, RegistrationStatus
from app.registrations.service import (
    VERIFICATION_PERIOD,
    allocate_place,
    check_org_limit,
    find_active_by_email,
    get_by_token,
    verification_lapses_at,
)


async def verify(session: AsyncSession, *, token: str, now: datetime) -> Registration:
    """Confirm the address: the registration takes its place exactly as a sign-up would
    (a seat, the waitlist or the approval queue; EventFull when none) and is told so."""
    # Not waitlisted yet, so no position to read; the lock is the counters row's.
    registration = await get_by_token(session, token, position=False)
    event = await get_event(session, registration.event.slug, lock=True)
    registration = await get_by_token(session, token, reload=True, position=False)
    if registration.is_active:
        raise InvalidTransition(
            f"This registration is {registration.status}: its address is already confirmed.",
            stage="verified",
        )
    if registration.status != RegistrationStatus.pending_verification:
        raise InvalidTransition(f"This registration is {registration.status}.")
    if now >= verification_lapses_at(registration):
        raise VerificationExpired(
            "This confirmation link has lapsed (it works for 24 hours). "
            "Please sign up again to receive a new one."
        )
    if not event.registration_open_at(now):
        raise RegistrationClosed("Registration for this event is not open.")
    if await find_active_by_email(session, event, registration.email) is not None:
        raise AlreadyRegistered(
            "This e-mail address is already registered for this event: "
            "please use the link in the e-mails about that registration."
        )
    await check_org_limit(session, event, registration.organisation_key)
    await allocate_place(session, event, registration)
    registration.updated_at = now
    try:
        # The partial unique index is the last word on duplicates (a twin verified at once).
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise AlreadyRegistered(
            "This e-mail address is already registered for this event."
        ) from error
    await notifications.registration_received(
        session,
        registration=registration,
        manage_token=await issue_manage_token(session, registration, now=now),
        now=now,
    )
    return registration


async def delete_lapsed(session: AsyncSession, *, now: datetime) -> int:
    """Delete sign-ups whose verification lapsed, with their links and e-mails."""
    lapsed = select(Registration.id).where(
        Registration.status == RegistrationStatus.pending_verification,
        Registration.created_at <= now - VERIFICATION_PERIOD,
    )
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.registration_id.in_(lapsed.scalar_subquery()))
    )
    result = await session.execute(
        delete(Registration).where(Registration.id.in_(lapsed.scalar_subquery()))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
