"""What organisers read about registrations: the filtered list and one record."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.kit.errors import NotFound
from app.kit.pagination import KeysetPage
from app.mail import outbox
from app.models import Event, Registration
from app.models.waitlist import load_positions
from app.registrations.filters import RegistrationFilters, matching_page
from app.registrations.schemas import EmailRead


async def list_registrations(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    limit: int,
    cursor: str | None,
) -> KeysetPage[Registration]:
    """Oldest first; a cursor resumes after the last row of the page that issued it."""
    return await matching_page(session, event, filters, limit=limit, cursor=cursor)


async def get_registration(
    session: AsyncSession, *, event: Event, registration_id: uuid.UUID
) -> Registration:
    query = (
        select(Registration)
        .options(joinedload(Registration.event, innerjoin=True))
        .where(Registration.event_id == event.id, Registration.id == registration_id)
    )
    registration = (await session.scalars(query)).one_or_none()
    if registration is None:
        raise NotFound("This event has no registration with that id.")
    await load_positions(session, [registration])
    return registration


async def email_history(session: AsyncSession, registration: Registration) -> list[EmailRead]:
    """The e-mails sent (or queued) to this registrant, oldest first."""
    return [EmailRead.model_validate(row) for row in await outbox.history(session, registration.id)]
