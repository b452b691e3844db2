"""Waitlist positions, derived when read from the stored order.

A position is 1 + the number of the event's waitlisted registrations queued
before this one: a count over the waitlist's index, so it is read where no
event lock is held (a position known for free, such as the back of the queue
just joined, is set by the writer instead).
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration, RegistrationStatus


async def load_positions(session: AsyncSession, registrations: Iterable[Registration]) -> None:
    """Set `waitlist_position` on the waitlisted ones: one statement per event, which
    reads the waitlist's index up to the last of them once."""
    waiting: dict[int, list[Registration]] = defaultdict(list)
    for registration in registrations:
        if registration.status == RegistrationStatus.waitlisted:
            waiting[registration.event_id].append(registration)
    for event_id, queued in waiting.items():
        orders = sorted({r.waitlist_order for r in queued if r.waitlist_order is not None})
        ahead = select(
            *(func.count().filter(Registration.waitlist_order < order) for order in orders)
        ).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.waitlist_order < orders[-1],
        )
        counts = dict(zip(orders, (await session.execute(ahead)).one(), strict=True))
        for registration in queued:
            assert registration.waitlist_order is not None
            registration.waitlist_position = counts[registration.waitlist_order] + 1


async def position_of(session: AsyncSession, registration: Registration) -> int | None:
    await load_positions(session, [registration])
    return registration.waitlist_position
