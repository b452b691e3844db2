"""Events: look-up, seat counts and upserts from data files."""

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Event
from app.schemas.event import EventFields, EventRead
from app.services.seating import fill_free_seats, seats_left

BUNDLED_EVENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "events.toml"


async def get_event(session: AsyncSession, slug: str, *, lock: bool = False) -> Event:
    """The event by slug; `lock` takes its row lock, which serialises seat changes."""
    query = select(Event).where(Event.slug == slug)
    if lock:
        query = query.with_for_update()
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


@dataclass(frozen=True)
class UpsertResult:
    slug: str
    created: bool
    promoted: int


async def upsert_event(
    session: AsyncSession, fields: EventFields, *, now: datetime
) -> UpsertResult:
    """Insert the event, or update the one with the same slug (filling any seats it frees)."""
    values = fields.model_dump()
    event = (
        await session.scalars(select(Event).where(Event.slug == fields.slug).with_for_update())
    ).one_or_none()
    if event is None:
        session.add(Event(**values))
        await session.flush()
        return UpsertResult(slug=fields.slug, created=True, promoted=0)
    for key, value in values.items():
        setattr(event, key, value)
    await session.flush()
    promoted = await fill_free_seats(session, event=event, now=now)
    return UpsertResult(slug=fields.slug, created=False, promoted=len(promoted))


def load_event_file(path: Path) -> list[EventFields]:
    """Parse a TOML file of `[[events]]`; local times are read in the event's time zone."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise ValueError(f"{path}: expected one or more [[events]] tables")
    return [EventFields.model_validate(_localise(raw)) for raw in events]


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
