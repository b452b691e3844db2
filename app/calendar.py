"""iCalendar files for a registrant's calendar."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from app.models import Event, Registration

PRODID = "-//Side-event registration//RSVP//EN"


def registration_uid(registration: Registration, base_url: str) -> str:
    """Stable per registration, so a later update replaces the entry instead of adding one."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    return f"registration-{registration.id}@{host}"


def build_calendar(
    *,
    event: Event,
    registration: Registration,
    base_url: str,
    manage_url: str,
    now: datetime,
    sequence: int = 0,
    method: str = "PUBLISH",
) -> bytes:
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)

    entry = VEvent()
    entry.add("uid", registration_uid(registration, base_url))
    entry.add("sequence", sequence)
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    description = "\n\n".join(
        part for part in (event.summary, f"Your registration: {manage_url}") if part
    )
    entry.add("description", description)
    entry.add("url", manage_url)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(entry)
    # Adds the VTIMEZONE for every TZID used above, so clients need no zone database.
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
