"""What the overview shows, read from the stats service: counters and tallies kept by
triggers, so the page costs the same at 100 or 100,000 registrations."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.events import stats
from app.events.schemas import EventStats
from app.events.seating import Seats
from app.models import Event, RegistrationStatus
from app.web.i18n import N_

STATUS_LABELS: dict[RegistrationStatus, str] = {
    RegistrationStatus.confirmed: N_("Confirmed"),
    RegistrationStatus.waitlisted: N_("Waitlisted"),
    RegistrationStatus.pending_approval: N_("Awaiting approval"),
    RegistrationStatus.pending_verification: N_("Awaiting e-mail verification"),
    RegistrationStatus.declined: N_("Declined"),
    RegistrationStatus.cancelled: N_("Cancelled"),
}
# The headline figures, in order: (key, label). The keys name them in the JSON too.
FIGURE_LABELS: tuple[tuple[str, str], ...] = (
    ("capacity", N_("Capacity")),
    ("seats_left", N_("Seats left")),
    ("held", N_("Held seats")),
    ("confirmed", N_("Confirmed")),
    ("checked_in", N_("Checked in")),
    ("waitlisted", N_("Waitlisted")),
    ("pending_approval", N_("Awaiting approval")),
)
TOP_COUNTRIES = 10
MAX_HOURS = 36


def headline(seats: Seats) -> dict[str, int]:
    """The headline figures by key, all from the event's counters."""
    return {
        "capacity": seats.capacity,
        "seats_left": seats.left,
        "held": seats.held,
        "confirmed": seats.confirmed,
        "checked_in": seats.checked_in,
        "waitlisted": seats.waitlisted,
        "pending_approval": seats.pending_approval,
    }


@dataclass(frozen=True)
class Overview:
    event: Event
    stats: EventStats
    seats: Seats
    checkins: dict[datetime, int]
    """Arrivals per local hour, naive times on the venue's clock."""

    def cumulative_signups(self) -> list[tuple[date, int, int]]:
        """(day, sign-ups that day, sign-ups so far), days on the venue's calendar."""
        total = 0
        days = []
        for day in self.stats.signups_per_day:
            total += day.count
            days.append((day.date, day.count, total))
        return days

    def top_countries(self) -> list[tuple[str, int]]:
        ranked = sorted(self.stats.by_country.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:TOP_COUNTRIES]

    def checkin_hours(self) -> list[tuple[datetime, int]]:
        """Every hour of the event's day, from two hours before it starts to when it
        ends, widened to the first and last arrival; at most MAX_HOURS bars, the
        latest ones when arrivals spread further."""
        zone = ZoneInfo(self.event.timezone)
        starts = self.event.starts_at.astimezone(zone).replace(tzinfo=None)
        ends = self.event.ends_at.astimezone(zone).replace(tzinfo=None)
        first = starts.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        last = ends.replace(minute=0, second=0, microsecond=0)
        if self.checkins:
            first = min(first, min(self.checkins))
            last = max(last, max(self.checkins))
        first = max(first, last - timedelta(hours=MAX_HOURS - 1))
        hours = int((last - first).total_seconds() // 3600) + 1
        return [
            (first + timedelta(hours=n), self.checkins.get(first + timedelta(hours=n), 0))
            for n in range(hours)
        ]


async def overview_of(session: AsyncSession, event: Event, *, now: datetime) -> Overview:
    figures = await stats.figures_of(session, event, now=now)
    return Overview(
        event=event, stats=figures.stats, seats=figures.seats, checkins=figures.checkins_per_hour
    )
