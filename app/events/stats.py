"""An event's figures for the organisers' dashboard."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.schemas import DailySignups, EventStats
from app.events.seating import seats_of
from app.mail import outbox
from app.models import (
    ACTIVE_STATUSES,
    AffiliationType,
    Event,
    EventCounters,
    Registration,
    RegistrationStatus,
)


async def _counts(session: AsyncSession, event: Event, column: Any, *where: Any) -> dict[Any, int]:
    query = (
        select(column, func.count())
        .where(Registration.event_id == event.id, *where)
        .group_by(column)
    )
    return {key: count for key, count in await session.execute(query)}


async def event_stats(session: AsyncSession, event: Event) -> EventStats:
    """Statuses count every registration; affiliation and country count the active ones.

    `checked_in` counts confirmed registrations that have arrived: a check-in of a
    registration cancelled since (say, with the event) is not an attendee.
    """
    active = Registration.status.in_(ACTIVE_STATUSES)
    # Statuses, seats and arrivals from the counters (O(1)); the breakdowns by group.
    figures = await session.get_one(EventCounters, event.id, populate_existing=True)
    by_affiliation = await _counts(session, event, Registration.affiliation_type, active)
    by_country = await _counts(session, event, Registration.country, active)
    # A sign-up's day is the day on the venue's calendar.
    day = func.date(func.timezone(event.timezone, Registration.created_at))
    per_day: dict[date, int] = await _counts(session, event, day)
    seats = seats_of(event, figures)
    return EventStats(
        capacity=event.capacity,
        seats_left=seats.left,
        checked_in=seats.checked_in,
        by_status={status: getattr(figures, status.value) for status in RegistrationStatus},
        by_affiliation_type={kind: by_affiliation.get(kind, 0) for kind in AffiliationType},
        by_country={
            country or "unknown": n for country, n in sorted(by_country.items(), key=_unknown_last)
        },
        signups_per_day=[DailySignups(date=d, count=n) for d, n in sorted(per_day.items())],
        emails_by_state=await outbox.count_by_state(session, event.id),
    )


def _unknown_last(item: tuple[str | None, int]) -> str:
    return item[0] or "~"
