"""Seats and the waitlist, decided under the event's lock from its counters.

The event's lock is its `event_counters` row's (`lock_event`), and the counters
come with it. The database keeps them (triggers on `registrations`), so nothing
done under the lock counts, scans or rewrites rows in proportion to the event's
size: the waitlist's head is one probe of its index, and positions are derived
when read, outside the lock (`app.models.waitlist`).

Invitations hold seats (`held`) until their deadline. Past it a hold no longer
counts: readers leave lapsed holds out (`lapsed_holds`), and seat decisions
first release them (`release_lapsed_holds`), which costs as much as there are
lapsed invitations, not as the event is large; the e-mail worker's chore does
the same for events nobody touches.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.events.offers import make_offers
from app.mail import notifications
from app.models import (
    WAITLIST_ORDER,
    Event,
    EventCounters,
    Invitation,
    InvitationStatus,
    Promotion,
    Registration,
    RegistrationStatus,
)


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
    offered: int = 0
    """Seats offered to waitlisted registrants and held for them (`app.events.offers`)."""

    @property
    def left(self) -> int:
        """Free seats; none once the event is called off. Held and offered seats are not free."""
        if self.called_off:
            return 0
        return max(0, self.capacity - self.confirmed - self.held - self.offered)


def seat_left_sql(capacity: Any) -> ColumnElement[bool]:
    """`Seats.left > 0` in SQL, over the `event_counters` row of an event not called
    off whose capacity is `capacity`: a statement that locks the row can decide
    in the same round trip (the sign-up's seat taken at once)."""
    counted = EventCounters.confirmed + EventCounters.held + EventCounters.offered
    left: ColumnElement[bool] = counted < capacity
    return left


COUNTED = ("confirmed", "waitlisted", "pending_approval", "held", "checked_in", "offered")
"""The counters a seat decision reads."""


def seats_of(event: Event, counters: EventCounters) -> Seats:
    return seats_from(event, {name: getattr(counters, name) for name in COUNTED})


def seats_from(event: Event, counted: Mapping[str, int]) -> Seats:
    """`seats_of` from a plain row that holds the counters under their names."""
    return Seats(
        capacity=event.capacity,
        called_off=event.cancelled_at is not None,
        confirmed=counted["confirmed"],
        waitlisted=counted["waitlisted"],
        pending_approval=counted["pending_approval"],
        held=counted["held"],
        checked_in=counted["checked_in"],
        offered=counted["offered"],
    )


async def seats(session: AsyncSession, event: Event, *, now: datetime | None = None) -> Seats:
    """The event's figures: one row read by its key. Given `now`, holds past their
    deadline are left out (`lapsed_holds`), as they no longer count."""
    query = select(EventCounters).where(EventCounters.event_id == event.id)
    counters = (await session.scalars(query.execution_options(populate_existing=True))).one()
    figures = seats_of(event, counters)
    if now is not None and figures.held:
        figures = replace(figures, held=figures.held - await lapsed_holds(session, event, now))
    return figures


async def seats_left(session: AsyncSession, event: Event, *, now: datetime | None = None) -> int:
    return (await seats(session, event, now=now)).left


def _lapsed(event: Event, now: datetime) -> list[Any]:
    """The event's pending invitations past their deadline: a range of their index."""
    return [
        Invitation.event_id == event.id,
        Invitation.status == InvitationStatus.pending,
        Invitation.respond_by < now,
    ]


async def lapsed_holds(session: AsyncSession, event: Event, now: datetime) -> int:
    """Seats still in `held` for invitations whose deadline has passed (not yet released)."""
    query = select(func.coalesce(func.sum(Invitation.seats_held), 0)).where(*_lapsed(event, now))
    return int(await session.scalar(query) or 0)


async def release_lapsed_holds(session: AsyncSession, *, event: Event, now: datetime) -> int:
    """Under the event's lock: mark its pending invitations past their deadline `expired`
    (the trigger takes their holds off `held`) and give the freed seats to the
    waitlist. Returns how many invitations lapsed; costs as much as they are many.

    The invitations' transition table (`app.invitations.transitions`) names this
    move `expire`; it needs no role and no answer, only the clock.
    """
    lapsed = (
        select(Invitation.id, Invitation.seats_held)
        .where(*_lapsed(event, now))
        .with_for_update()
        .cte("lapsed")
    )
    expired = await session.execute(
        update(Invitation)
        .where(Invitation.id == lapsed.c.id)
        .values(status=InvitationStatus.expired, seats_held=0, updated_at=now)
        .returning(lapsed.c.seats_held)
        .execution_options(synchronize_session=False)
    )
    freed = expired.scalars().all()
    if any(freed):
        await fill_free_seats(session, event=event, now=now)
    return len(freed)


async def next_waitlist_order(session: AsyncSession) -> int:
    """A place at the back of the queue; drawn under the event's lock, so in join order."""
    return int(await session.scalar(select(WAITLIST_ORDER.next_value())) or 0)


async def fill_free_seats(
    session: AsyncSession, *, event: Event, now: datetime
) -> list[Registration]:
    """Confirm waitlisted registrants, head first, while seats are free; returns them.
    With `promotion` = `offer` the seats are offered instead (and none is returned)."""
    free = await seats_left(session, event)
    if free == 0:
        return []
    if event.promotion == Promotion.offer:
        await make_offers(session, event=event, seats=free, now=now)
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
