"""Events from a data file (`rsvp seed`): reading the TOML, then creating or updating.

`rsvp seed` goes through the organisers' functions (`app.events.admin`), as the
actor `rsvp command` (no organiser).
"""

import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.events.admin import create_event, fields_of, update_event_fields
from app.events.schemas import EventFields, EventUpdate
from app.kit.errors import Conflict, validation_problems
from app.models import Event

BUNDLED_EVENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "events.toml"


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
        problems = validation_problems(exc, whole="event")
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


class SeedOutcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    kept = "kept"
    """It exists and `if_missing` was asked: left as it is."""


@dataclass(frozen=True)
class SeedResult:
    slug: str
    outcome: SeedOutcome
    promoted: int = 0


async def seed_event(
    session: AsyncSession, fields: EventFields, *, now: datetime, if_missing: bool = False
) -> SeedResult:
    """`rsvp seed` for one event: create it, or bring it in line with `fields`.

    With `if_missing`, an event that exists is left untouched (organisers may have
    edited it since). Otherwise a change goes through `update_event`, as an
    organiser's edit would: audited as `rsvp command`, the waitlist promoted and
    registrants told of a new time or venue. An event already equal to `fields`
    is not written at all.
    """
    query = select(Event).where(Event.slug == fields.slug).with_for_update()
    existing = (await session.scalars(query.execution_options(populate_existing=True))).first()
    if existing is None:
        try:
            await create_event(session, fields=fields, actor=None, now=now)
        except Conflict:
            # Created meanwhile by another `rsvp seed` (two containers starting at once).
            if not if_missing:
                raise
            return SeedResult(fields.slug, SeedOutcome.kept)
        return SeedResult(fields.slug, SeedOutcome.created)
    if if_missing:
        return SeedResult(fields.slug, SeedOutcome.kept)
    wanted = fields.model_dump(exclude={"slug"})
    if not any(audit.changed_values(fields_of(existing), wanted)):
        return SeedResult(fields.slug, SeedOutcome.unchanged)
    changes = EventUpdate.model_validate(wanted)
    _, promoted = await update_event_fields(
        session, slug=fields.slug, changes=changes, actor=None, now=now
    )
    return SeedResult(fields.slug, SeedOutcome.updated, promoted)
