"""Seats and the waitlist, decided under the event's lock from its counters.

The event's lock is its `event_counters` row's (`lock_event`), and the counters
come with it. The database keeps them (triggers on `registrations`), so nothing
done under the lock counts, scans or rewrites rows in proportion to the event's
size: the waitlist's head is one probe of its index, and positions are derived
when read, outside the lock (`app.models.waitlist`).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.mail import notifications
from app.models import WAITLIST_ORDER, Event, EventCounters, Registration, RegistrationStatus


@dataclass(frozen=True)
class Seats:
    """An event's seat figures at one moment (current while its lock is held)."""

    capacity: int
    called_off: bool
    confirmed: int
    waitlisted: int
    pending_approval: int
    held: int
    checked_in: int

    @property
    def left(self) -> int:
        """Free seats; none once the event is called off. Held seats are not free."""
        if self.called_off:
            return 0
        return max(0, self.capacity - self.confirmed - self.held)


def seats_of(event: Event, counters: EventCounters) -> Seats:
    return Seats(
        capacity=event.capacity,
        called_off=event.cancelled_at is not None,
        confirmed=counters.confirmed,
        waitlisted=counters.waitlisted,
        pending_approval=counters.pending_approval,
        held=counters.held,
        checked_in=counters.checked_in,
    )


async def seats(session: AsyncSession, event: Event) -> Seats:
    """The event's figures: one row read by its key."""
    query = select(EventCounters).where(EventCounters.event_id == event.id)
    counters = (await session.scalars(query.execution_options(populate_existing=True))).one()
    return seats_of(event, counters)


async def seats_left(session: AsyncSession, event: Event) -> int:
    return (await seats(session, event)).left


async def next_waitlist_order(session: AsyncSession) -> int:
    """A place at the back of the queue; drawn under the event's lock, so in join order."""
    return int(await session.scalar(select(WAITLIST_ORDER.next_value())) or 0)


async def fill_free_seats(
    session: AsyncSession, *, event: Event, now: datetime
) -> list[Registration]:
    """Confirm waitlisted registrants, head first, while seats are free; returns them."""
    free = await seats_left(session, event)
    if free == 0:
        return []
    promoted = list(
        await session.scalars(
            select(Registration)
            .options(joinedload(Registration.event))
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.waitlisted,
            )
            .order_by(Registration.waitlist_order)
            .limit(free)
        )
    )
    for registration in promoted:
        registration.status = RegistrationStatus.confirmed
        registration.waitlist_order = None
        registration.updated_at = now
    await session.flush()
    for registration in promoted:
        await notifications.status_changed(
            session, registration=registration, previous=RegistrationStatus.waitlisted, now=now
        )
    return promoted
