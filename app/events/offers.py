"""Waitlist offers (event `promotion` = `offer`): a freed seat is offered, not given.

The head of the waitlist (of those without an offer) gets the seat held for them
until `offer_expires_at`: `offer_hours` from now, never later than the event's
start; once the event has started no offer is made. A registration holding an
offer stays `waitlisted` at its place; the `offered` counter (kept by triggers)
takes its seat out of `seats_left`, so nobody else can sign up into it. What the
registrant does with it (accept, decline) and what happens when it lapses is in
`app.registrations.offers`.

Called under the event's lock; the head is one probe of a partial index
(`ix_registrations_waitlist_unoffered`), per seat offered.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.mail import notifications
from app.models import Event, Registration, RegistrationStatus


def offer_deadline(event: Event, now: datetime) -> datetime | None:
    """Until when an offer made now holds; None once the event has started."""
    deadline = min(now + timedelta(hours=event.offer_hours), event.starts_at)
    return deadline if deadline > now else None


async def make_offers(
    session: AsyncSession, *, event: Event, seats: int, now: datetime
) -> list[Registration]:
    """Offer `seats` free seats, one each to the first waiting without an offer."""
    deadline = offer_deadline(event, now)
    if deadline is None or seats <= 0:
        return []
    query = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.offer_expires_at.is_(None),
        )
        .order_by(Registration.waitlist_order)
        .limit(seats)
    )
    offered = list(await session.scalars(query))
    for registration in offered:
        set_committed_value(registration, "event", event)
        registration.offer_expires_at = deadline
        registration.updated_at = now
    await session.flush()
    for registration in offered:
        await notifications.offer_made(session, registration=registration, now=now)
    return offered
