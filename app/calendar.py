"""iCalendar files for a registrant's calendar."""

from datetime import date, datetime
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from app.models import Event, Registration

PRODID = "-//Side-event registration//RSVP//EN"


@cache
def _vtimezone(name: str, year: int) -> Timezone:
    # The zone's rules around the event's year only: the whole 1970-2038 default
    # makes most of the file, and most of the cost of every confirmation e-mail.
    return Timezone.from_tzid(name, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))


def site_host(base_url: str) -> str:
    """The host name of the service, for identifiers that must be globally unique."""
    return urlsplit(base_url).hostname or "localhost"


def registration_uid(registration: Registration, base_url: str) -> str:
    """Stable per registration, so a later update replaces the entry instead of adding one."""
    return f"registration-{registration.id}@{site_host(base_url)}"


def standing_method(registration: Registration) -> str:
    """The METHOD of the registrant's entry as things stand (event loaded).

    CANCEL once the event is called off or the registration is over (cancelled,
    declined), so a calendar fetched late removes the entry instead of adding it.
    """
    if registration.event.cancelled_at is not None or not registration.is_active:
        return "CANCEL"
    return "PUBLISH"


def build_calendar(
    *,
    event: Event,
    registration: Registration,
    base_url: str,
    manage_url: str | None,
    now: datetime,
    method: str = "PUBLISH",
) -> bytes:
    """The event as one entry; its SEQUENCE is the event's, raised on each change."""
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    # The VTIMEZONE, so clients need no zone database; it comes before its users.
    calendar.add_component(_vtimezone(event.timezone, event.starts_at.year))

    entry = VEvent()
    entry.add("uid", registration_uid(registration, base_url))
    entry.add("sequence", event.ical_sequence)
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    link = f"Your registration: {manage_url}" if manage_url else None
    description = "\n\n".join(part for part in (event.summary, link) if part)
    entry.add("description", description)
    if manage_url:
        entry.add("url", manage_url)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(entry)
    ical: bytes = calendar.to_ical()
    return ical
