"""Events: look-up, reading with seat counts, and calling off."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.schemas import EventRead
from app.events.seating import seats_left
from app.kit.errors import InvalidTransition, NotFound
from app.kit.fields import SLUG_MAX_LENGTH, SLUG_PATTERN
from app.mail import notifications
from app.models import ACTIVE_STATUSES, Event, EventCounters, Registration, RegistrationStatus
from app.schedule.reminders import drop_plans


async def get_event(session: AsyncSession, slug: str, *, lock: bool = False) -> Event:
    """The event by slug; `lock` takes its lock, which serialises seat changes."""
    if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(slug):
        # No such event can exist; and the text is not echoed, nor sent to the database.
        raise NotFound("No event has that address.")
    query = select(Event).where(Event.slug == slug)
    if lock:
        # The event's lock is its counters row's (the one row every seat change
        # writes). Refresh the copy this session may hold already: read under the
        # lock, the row is current, and decisions (seats, cancellation) must use that.
        query = (
            query.join(EventCounters, EventCounters.event_id == Event.id)
            .with_for_update(of=EventCounters)
            .execution_options(populate_existing=True)
        )
    event = (await session.scalars(query)).one_or_none()
    if event is None:
        raise NotFound(f"No event with the address '{slug}'.")
    return event


async def read_event(session: AsyncSession, event: Event, now: datetime) -> EventRead:
    return EventRead.model_validate(
        {
            **{key: getattr(event, key) for key in EventRead.model_fields if hasattr(event, key)},
            "seats_left": await seats_left(session, event, now=now),
            "registration_open": event.registration_open_at(now),
        }
    )


async def cancel_event_and_registrations(
    session: AsyncSession, *, event: Event, now: datetime
) -> int:
    """The rule of calling an event off: it is marked cancelled (so registration
    closes) and every active registration is cancelled. Not audited: the
    organiser's action is `app.events.admin.cancel_event`.

    Each registrant gets one message (with METHOD:CANCEL for their calendar), not
    also the usual "registration cancelled" one. Returns how many were cancelled.
    """
    event = await get_event(session, event.slug, lock=True)
    if event.cancelled_at is not None:
        raise InvalidTransition("This event is already cancelled.")
    event.cancelled_at = now
    await notifications.event_cancelled(session, event=event, now=now)
    await drop_plans(session, event=event)
    cancelled = await session.scalars(
        update(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .values(
            status=RegistrationStatus.cancelled,
            waitlist_order=None,
            offer_expires_at=None,
            updated_at=now,
        )
        .returning(Registration.id)
        .execution_options(synchronize_session="fetch")
    )
    return len(cancelled.all())
