"""What registrants are told, and when: the seam between registration rules and e-mail.

Each function is called inside the transaction of the change that causes the
message, so the message is queued (in the e-mail outbox) exactly when that
change commits, and never for a change that is rolled back.

The bodies are filled in by the e-mail outbox (see issue "Confirmation e-mails
through a transactional outbox"); until then they record nothing.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Event, Registration, RegistrationStatus


async def registration_received(
    session: AsyncSession, *, registration: Registration, manage_token: str, now: datetime
) -> None:
    """A new sign-up: confirmed, waitlisted (with position) or pending approval."""


async def manage_link_requested(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> None:
    """A second sign-up with the same e-mail: send the manage link again (rate-limited)."""


async def status_changed(
    session: AsyncSession,
    *,
    registration: Registration,
    previous: RegistrationStatus,
    now: datetime,
) -> None:
    """Promoted from the waitlist, approved, declined or cancelled."""


async def confirmation_requested(
    session: AsyncSession, *, registration: Registration, now: datetime
) -> None:
    """An organiser asked for the confirmation to be sent again."""


async def event_changed(
    session: AsyncSession, *, event: Event, changed: set[str], now: datetime
) -> None:
    """The event's time or venue changed: every active registrant gets an updated entry."""
