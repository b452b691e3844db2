"""Events: look-up, seat counts, calling off, and reading data files."""

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidTransition, NotFound
from app.models import ACTIVE_STATUSES, Event, Registration, RegistrationStatus
from app.schemas.event import EventFields, EventRead
from app.schemas.fields import SLUG_MAX_LENGTH, SLUG_PATTERN
from app.services import notifications
from app.services.seating import seats_left

BUNDLED_EVENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "events.toml"


async def get_event(session: AsyncSession, slug: str, *, lock: bool = False) -> Event:
    """The event by slug; `lock` takes its row lock, which serialises seat changes."""
    if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(slug):
        # No such event can exist; and the text is not echoed, nor sent to the database.
        raise NotFound("No event has that address.")
    query = select(Event).where(Event.slug == slug)
    if lock:
        # Refresh the copy this session may hold already: read under the lock, the
        # row is current, and decisions (seats, cancellation) must use that.
        query = query.with_for_update().execution_options(populate_existing=True)
    event = (await session.scalars(query)).one_or_none()
    if event is None:
        raise NotFound(f"No event with the address '{slug}'.")
    return event


async def read_event(session: AsyncSession, event: Event, now: datetime) -> EventRead:
    return EventRead.model_validate(
        {
            **{key: getattr(event, key) for key in EventRead.model_fields if hasattr(event, key)},
            "seats_left": await seats_left(session, event),
            "registration_open": event.registration_open_at(now),
        }
    )


async def cancel_event(session: AsyncSession, *, event: Event, now: datetime) -> int:
    """Call the event off: registration closes and every active registration is cancelled.

    Each registrant gets one message (with METHOD:CANCEL for their calendar), not
    also the usual "registration cancelled" one. Returns how many were cancelled.
    """
    event = await get_event(session, event.slug, lock=True)
    if event.cancelled_at is not None:
        raise InvalidTransition("This event is already cancelled.")
    event.cancelled_at = now
    await notifications.event_cancelled(session, event=event, now=now)
    cancelled = await session.scalars(
        update(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        .values(status=RegistrationStatus.cancelled, waitlist_position=None, updated_at=now)
        .returning(Registration.id)
        .execution_options(synchronize_session="fetch")
    )
    return len(cancelled.all())


class EventFileError(ValueError):
    """A data file we cannot use; the message names the event and the field."""


def load_event_file(path: Path) -> list[EventFields]:
    """Parse a TOML file of `[[events]]`; local times are read in the event's time zone.

    Raises OSError (unreadable) or EventFileError (a ValueError: not TOML, or an event
    that is not valid, naming it and its fields).
    """
    with path.open("rb") as file:
        try:
            data = tomllib.load(file)
        except tomllib.TOMLDecodeError as exc:
            raise EventFileError(f"not valid TOML: {exc}") from exc
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise EventFileError("expected one or more [[events]] tables")
    return [_event(raw, number) for number, raw in enumerate(events, start=1)]


def _event(raw: object, number: int) -> EventFields:
    name = f"event {number}"
    if not isinstance(raw, dict):
        raise EventFileError(f"{name}: expected an [[events]] table of fields, not {raw!r}")
    if isinstance(raw.get("slug"), str):
        name += f" ({raw['slug']})"
    zone = raw.get("timezone")
    if isinstance(zone, str) and zone not in available_timezones():
        raise EventFileError(
            f"{name}: timezone: unknown IANA time zone {zone!r} (e.g. 'America/New_York')"
        )
    try:
        return EventFields.model_validate(_localise(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'event'}: {error['msg']}"
            for error in exc.errors()
        )
        raise EventFileError(f"{name}: {problems}") from exc


def _localise(raw: dict[str, Any]) -> dict[str, Any]:
    zone_name = raw.get("timezone")
    if not isinstance(zone_name, str):
        return raw
    zone = ZoneInfo(zone_name)
    return {
        key: value.replace(tzinfo=zone)
        if isinstance(value, datetime) and value.tzinfo is None
        else value
        for key, value in raw.items()
    }
