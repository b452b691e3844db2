"""The check-in desk's answers: one scan (or one press of "check in") and its outcome.

Each check-in is the API's own (`app.registrations.transitions`): it takes the
event's lock, so two desks scanning one ticket at once check it in once, and the
second is refused as the API refuses it (409 `invalid_transition`). This module
only turns that refusal into what the door needs to say.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.errors import InvalidTransition, NotFound
from app.kit.secrets import digest
from app.models import Event, EventCounters, Organiser, Registration, RegistrationStatus
from app.registrations import transitions
from app.registrations.filters import RegistrationFilters, filtered_registrations, with_event
from app.registrations.transitions import Action

# A ticket code is 43 characters; anything much longer is no ticket of ours.
MAX_CODE_LENGTH = 128
NAME_MATCHES = 20


class Outcome(StrEnum):
    welcome = "welcome"
    already_checked_in = "already_checked_in"
    not_confirmed = "not_confirmed"
    unknown = "unknown"


@dataclass(frozen=True)
class ScanResult:
    outcome: Outcome
    registration: Registration | None = None

    @property
    def checked_in_at(self) -> datetime | None:
        return self.registration.checked_in_at if self.registration else None

    @property
    def status(self) -> RegistrationStatus | None:
        return self.registration.status if self.registration else None


@dataclass(frozen=True)
class Arrivals:
    checked_in: int
    expected: int
    """Confirmed registrations, those checked in among them."""


async def _by_ticket(session: AsyncSession, event: Event, code: str) -> Registration | None:
    query = select(Registration).where(
        Registration.event_id == event.id, Registration.ticket_code_hash == digest(code)
    )
    return (await session.scalars(query)).one_or_none()


async def _refused(session: AsyncSession, registration: Registration | None) -> ScanResult:
    """Why a check-in was refused, read from the registration as the refusal left it."""
    if registration is None:
        return ScanResult(Outcome.unknown)
    await session.refresh(registration)
    if registration.checked_in_at is not None:
        return ScanResult(Outcome.already_checked_in, registration)
    return ScanResult(Outcome.not_confirmed, registration)


async def check_in_by_code(
    session: AsyncSession, *, event: Event, code: str, actor: Organiser, now: datetime
) -> ScanResult:
    """Check in the holder of a ticket code (as a scanner types it, or a person)."""
    code = code.strip()
    if not code or len(code) > MAX_CODE_LENGTH:
        return ScanResult(Outcome.unknown)
    try:
        registration = await transitions.check_in_by_ticket(
            session, event_slug=event.slug, ticket_code=code, actor=actor, now=now
        )
    except NotFound:
        return ScanResult(Outcome.unknown)
    except InvalidTransition:
        return await _refused(session, await _by_ticket(session, event, code))
    return ScanResult(Outcome.welcome, registration)


async def check_in_by_id(
    session: AsyncSession,
    *,
    event: Event,
    registration_id: uuid.UUID,
    actor: Organiser,
    now: datetime,
) -> ScanResult:
    """Check in someone found by name (they have no ticket with them)."""
    try:
        registration = await transitions.apply_action(
            session,
            event_slug=event.slug,
            registration_id=registration_id,
            action=Action.check_in,
            actor=actor,
            now=now,
        )
    except NotFound:
        return ScanResult(Outcome.unknown)
    except InvalidTransition:
        return await _refused(session, await session.get(Registration, registration_id))
    return ScanResult(Outcome.welcome, registration)


async def arrivals(session: AsyncSession, event: Event) -> Arrivals:
    """From the event's counters (kept by triggers): no count over the registrations."""
    counters = await session.get_one(EventCounters, event.id, populate_existing=True)
    return Arrivals(checked_in=counters.checked_in, expected=counters.confirmed)


async def find_by_name(session: AsyncSession, *, event: Event, words: str) -> list[Registration]:
    """Confirmed registrations (arrived or not) whose name, e-mail or organisation hold
    `words`, by the list's own search; at most NAME_MATCHES, in sign-up order."""
    filters = RegistrationFilters(status=[RegistrationStatus.confirmed], q=words)
    if not filters.q:
        return []
    query = filtered_registrations(event, filters).limit(NAME_MATCHES)
    return with_event(list(await session.scalars(query)), event)
