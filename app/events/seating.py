"""Seats and the waitlist.

The functions that change seats or places (`next_waitlist_position`,
`close_waitlist_gap`, `fill_free_seats`) expect the caller to hold the event's
row lock (`get_event(..., lock=True)`), so the counts they decide on cannot
change underneath them. `seats_left` and `count_with_status` may also be read
without it, for display (an event page, stats): such a count may be stale by
the time it is shown, and nothing is decided on it.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.mail import notifications
from app.models import Event, Registration, RegistrationStatus


async def count_with_status(
    session: AsyncSession, event_id: int, status: RegistrationStatus
) -> int:
    query = select(func.count()).where(
        Registration.event_id == event_id, Registration.status == status
    )
    return (await session.scalar(query)) or 0


async def seats_left(session: AsyncSession, event: Event) -> int:
    """Free seats; none once the event is called off."""
    if event.cancelled_at is not None:
        return 0
    confirmed = await count_with_status(session, event.id, RegistrationStatus.confirmed)
    return max(0, event.capacity - confirmed)


async def next_waitlist_position(session: AsyncSession, event: Event) -> int:
    return await count_with_status(session, event.id, RegistrationStatus.waitlisted) + 1


async def close_waitlist_gap(session: AsyncSession, event: Event, *, after: int, by: int) -> None:
    """Move everyone behind `after` forward by `by` places."""
    await session.execute(
        update(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.waitlist_position > after,
        )
        .values(waitlist_position=Registration.waitlist_position - by)
        .execution_options(synchronize_session="fetch")
    )


async def fill_free_seats(
    session: AsyncSession, *, event: Event, now: datetime
) -> list[Registration]:
    """Confirm waitlisted registrants, oldest first, while seats are free; returns them."""
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
            .order_by(Registration.waitlist_position)
            .limit(free)
        )
    )
    if not promoted:
        return []
    for registration in promoted:
        registration.status = RegistrationStatus.confirmed
        registration.waitlist_position = None
        registration.updated_at = now
    await session.flush()
    await close_waitlist_gap(session, event, after=0, by=len(promoted))
    for registration in promoted:
        await notifications.status_changed(
            session, registration=registration, previous=RegistrationStatus.waitlisted, now=now
        )
    return promoted
