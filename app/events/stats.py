"""An event's figures for the organisers' dashboard."""

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.schemas import DailySignups, EventStats
from app.events.seating import Seats, lapsed_holds, seats_of
from app.mail import outbox
from app.models import (
    AffiliationType,
    Event,
    EventCounters,
    EventTally,
    Invitation,
    InvitationStatus,
    Registration,
    RegistrationStatus,
)


async def _tallies(session: AsyncSession, event: Event) -> dict[str, dict[str, int]]:
    """The event's non-zero tallies, by dimension then key: one small query."""
    query = select(EventTally.dimension, EventTally.key, EventTally.count).where(
        EventTally.event_id == event.id, EventTally.count > 0
    )
    tallies: dict[str, dict[str, int]] = defaultdict(dict)
    for dimension, key, count in await session.execute(query):
        tallies[dimension][key] = count
    return tallies


def _per_day(quarters: dict[str, int], timezone: str) -> dict[date, int]:
    """Sign-ups per day on the venue's calendar, from the UTC quarter hours'."""
    zone = ZoneInfo(timezone)
    days: Counter[date] = Counter()
    for quarter, count in quarters.items():
        days[datetime.fromisoformat(quarter).astimezone(zone).date()] += count
    return days


async def _invitations(session: AsyncSession, event: Event) -> dict[InvitationStatus, int]:
    query = (
        select(Invitation.status, func.count())
        .where(Invitation.event_id == event.id)
        .group_by(Invitation.status)
    )
    counts = {status: 0 for status in InvitationStatus}
    for status, count in await session.execute(query):
        counts[status] = count
    return counts


@dataclass(frozen=True)
class Figures:
    """What the overview shows, read once: the stats, the seats they came from, and
    arrivals per local hour (naive times on the venue's clock)."""

    stats: EventStats
    seats: Seats
    checkins_per_hour: dict[datetime, int]


async def event_stats(session: AsyncSession, event: Event, *, now: datetime) -> EventStats:
    """Statuses count every registration; affiliation and country count the active ones.

    `checked_in` counts confirmed registrations that have arrived: a check-in of a
    registration cancelled since (say, with the event) is not an attendee.
    """
    return (await figures_of(session, event, now=now)).stats


async def figures_of(session: AsyncSession, event: Event, *, now: datetime) -> Figures:
    """The stats with their seats and the hourly arrivals, from one read of the
    counters and one of the tallies."""
    # Statuses, seats and arrivals from the counters, the breakdowns from the
    # tallies: both kept by triggers, so nothing here reads the registrations.
    figures = await session.get_one(EventCounters, event.id, populate_existing=True)
    tallies = await _tallies(session, event)
    by_affiliation = tallies["affiliation_type"]
    by_country = tallies["country"]
    per_day = _per_day(tallies["signup_quarter"], event.timezone)
    # The counters leave out sign-ups awaiting verification (they hold nothing): counted here.
    awaiting = await session.scalar(
        select(func.count()).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.pending_verification,
        )
    )
    seats = seats_of(event, figures)
    if seats.held:
        # Holds past their deadline no longer count, though not yet released.
        seats = replace(seats, held=seats.held - await lapsed_holds(session, event, now))
    stats = EventStats(
        capacity=event.capacity,
        seats_left=seats.left,
        checked_in=seats.checked_in,
        by_status={
            status: awaiting or 0
            if status == RegistrationStatus.pending_verification
            else getattr(figures, status.value)
            for status in RegistrationStatus
        },
        by_affiliation_type={kind: by_affiliation.get(kind.value, 0) for kind in AffiliationType},
        by_country={
            country or "unknown": n for country, n in sorted(by_country.items(), key=_unknown_last)
        },
        signups_per_day=[DailySignups(date=d, count=n) for d, n in sorted(per_day.items())],
        emails_by_state=await outbox.count_by_state(session, event.id),
        invitations=await _invitations(session, event),
        seats_held=seats.held,
    )
    return Figures(stats, seats, _checkins_per_hour(tallies["checkin_quarter"], event.timezone))


def _unknown_last(item: tuple[str, int]) -> str:
    return item[0] or "~"


def _checkins_per_hour(quarters: dict[str, int], timezone: str) -> dict[datetime, int]:
    """Arrivals of confirmed registrations per hour on the venue's clock (naive local
    hours), for the overview's chart: summed from the check-in quarter hours' tallies,
    so they read no registration."""
    zone = ZoneInfo(timezone)
    hours: Counter[datetime] = Counter()
    for quarter, count in quarters.items():
        local = datetime.fromisoformat(quarter).astimezone(zone)
        hours[local.replace(minute=0, tzinfo=None)] += count
    return dict(hours)
