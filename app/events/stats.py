"""An event's figures for the organisers' dashboard."""

from datetime import date

from sqlalchemy import DateTime, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.schemas import DailySignups, EventStats
from app.events.seating import seats_of
from app.mail import outbox
from app.models import AffiliationType, Event, EventCounters, EventTally, RegistrationStatus


async def _tallies(session: AsyncSession, event: Event, dimension: str) -> dict[str, int]:
    query = select(EventTally.key, EventTally.count).where(
        EventTally.event_id == event.id, EventTally.dimension == dimension, EventTally.count > 0
    )
    return {key: count for key, count in await session.execute(query)}


async def _signups_per_day(session: AsyncSession, event: Event) -> dict[date, int]:
    # A sign-up's day is the day on the venue's calendar: the quarter hours summed by it.
    quarter = cast(EventTally.key, DateTime(timezone=True))
    day = func.date(func.timezone(event.timezone, quarter))
    query = (
        select(day, func.sum(EventTally.count))
        .where(
            EventTally.event_id == event.id,
            EventTally.dimension == "signup_quarter",
            EventTally.count > 0,
        )
        .group_by(day)
    )
    return {d: int(n) for d, n in await session.execute(query)}


async def event_stats(session: AsyncSession, event: Event) -> EventStats:
    """Statuses count every registration; affiliation and country count the active ones.

    `checked_in` counts confirmed registrations that have arrived: a check-in of a
    registration cancelled since (say, with the event) is not an attendee.
    """
    # Statuses, seats and arrivals from the counters, the breakdowns from the
    # tallies: both kept by triggers, so nothing here reads the registrations.
    figures = await session.get_one(EventCounters, event.id, populate_existing=True)
    by_affiliation = await _tallies(session, event, "affiliation_type")
    by_country = await _tallies(session, event, "country")
    per_day = await _signups_per_day(session, event)
    seats = seats_of(event, figures)
    return EventStats(
        capacity=event.capacity,
        seats_left=seats.left,
        checked_in=seats.checked_in,
        by_status={status: getattr(figures, status.value) for status in RegistrationStatus},
        by_affiliation_type={kind: by_affiliation.get(kind.value, 0) for kind in AffiliationType},
        by_country={
            country or "unknown": n for country, n in sorted(by_country.items(), key=_unknown_last)
        },
        signups_per_day=[DailySignups(date=d, count=n) for d, n in sorted(per_day.items())],
        emails_by_state=await outbox.count_by_state(session, event.id),
    )


def _unknown_last(item: tuple[str, int]) -> str:
    return item[0] or "~"
