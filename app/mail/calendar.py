"""iCalendar files for a registrant's calendar."""

from datetime import date, datetime
from email.utils import parseaddr
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent

from app.models import Event, Registration, RegistrationStatus

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


def entry_status(registration: Registration, method: str) -> str:
    """CONFIRMED only for a seat; a waitlisted or pending registrant's entry is TENTATIVE."""
    if method == "CANCEL":
        return "CANCELLED"
    if registration.status == RegistrationStatus.confirmed:
        return "CONFIRMED"
    return "TENTATIVE"


def entry_sequence(event: Event, method: str) -> int:
    """The SEQUENCE of a registrant's entry: the event's, one higher for a cancellation.

    The UID is per registration, and a registration that ends (cancelled, declined)
    never has an entry published again; the event's sequence is raised on every
    change registrants are told of. So a CANCEL at `ical_sequence + 1` is above
    every PUBLISH that registrant was sent or could download, and stays so.
    """
    return event.ical_sequence + 1 if method == "CANCEL" else event.ical_sequence


def organizer(event: Event, mail_from: str) -> vCalAddress:
    """ORGANIZER (RFC 5546 wants it for PUBLISH and CANCEL): MAIL_FROM's address,
    named after the event's organisers (or MAIL_FROM's display name)."""
    name, address = parseaddr(mail_from)
    value = vCalAddress(f"mailto:{address or 'noreply@localhost'}")
    cn = ", ".join(event.organisers) or name
    if cn:
        value.params["cn"] = vText(cn)
    return value


def build_calendar(
    *,
    event: Event,
    registration: Registration,
    base_url: str,
    mail_from: str,
    manage_url: str | None,
    now: datetime,
    method: str = "PUBLISH",
) -> bytes:
    """The event as one entry; see `entry_sequence` and `entry_status`."""
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    # The VTIMEZONE, so clients need no zone database; it comes before its users.
    calendar.add_component(_vtimezone(event.timezone, event.starts_at.year))

    entry = VEvent()
    entry.add("uid", registration_uid(registration, base_url))
    entry.add("sequence", entry_sequence(event, method))
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    entry.add("organizer", organizer(event, mail_from))
    link = f"Your registration: {manage_url}" if manage_url else None
    description = "\n\n".join(part for part in (event.summary, link) if part)
    entry.add("description", description)
    if manage_url:
        entry.add("url", manage_url)
    entry.add("status", entry_status(registration, method))
    calendar.add_component(entry)
    ical: bytes = calendar.to_ical()
    return ical
