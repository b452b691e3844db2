"""Organisers' changes to events: create and edit, each recorded in the audit log.

`rsvp seed` goes through the same functions, as the actor `rsvp command` (no organiser).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidChange, InvalidTransition
from app.models import Event, Organiser
from app.schemas.event import EventFields, EventUpdate
from app.services import audit, notifications
from app.services.events import cancel_event, get_event
from app.services.seating import fill_free_seats


async def list_events(session: AsyncSession) -> list[Event]:
    return list(await session.scalars(select(Event).order_by(Event.starts_at, Event.id)))


def _fields_of(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EventFields.model_fields}


async def create_event(
    session: AsyncSession, *, fields: EventFields, actor: Organiser | None, now: datetime
) -> Event:
    """Add the event; `actor` None is the `rsvp` command."""
    values = fields.model_dump()
    event = Event(**values)
    session.add(event)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An event with the address '{fields.slug}' exists already.") from exc
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.create",
        event=event,
        after=audit.as_json(values),
        now=now,
    )
    return event


async def update_event(
    session: AsyncSession,
    *,
    slug: str,
    changes: EventUpdate,
    actor: Organiser | None,
    now: datetime,
) -> Event:
    """Apply the edit; freed seats go to the waitlist, and a new time or venue is announced.

    `actor` None is the `rsvp` command. A called-off event is not edited (409): its
    registrations are all cancelled and it will not open again.
    """
    current = await get_event(session, slug, lock=True)
    if current.cancelled_at is not None:
        raise InvalidTransition(
            "This event has been called off, so it can no longer be edited. "
            "Create a new event to hold it on another date."
        )
    event, _ = await _update_event(session, slug=slug, changes=changes, actor=actor, now=now)
    return event


async def _update_event(
    session: AsyncSession,
    *,
    slug: str,
    changes: EventUpdate,
    actor: Organiser | None,
    now: datetime,
) -> tuple[Event, int]:
    """`update_event`, also saying how many were promoted from the waitlist."""
    event = await get_event(session, slug, lock=True)
    before = _fields_of(event)
    try:
        # The edit is checked as a whole event, so rules across fields still hold.
        after = EventFields.model_validate(before | changes.changes()).model_dump()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'event'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidChange(f"The event would not be valid: {problems}") from exc
    old, new = audit.changed_values(before, after)
    for name, value in new.items():
        setattr(event, name, value)
    event.updated_at = now
    await session.flush()
    promoted = await fill_free_seats(session, event=event, now=now)
    if changed := notifications.CALENDAR_FIELDS & new.keys():
        await notifications.event_changed(session, event=event, changed=set(changed), now=now)
    record_after = audit.as_json(new)
    if promoted:
        record_after["promoted"] = [str(registration.id) for registration in promoted]
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.update",
        event=event,
        before=audit.as_json(old),
        after=record_after,
        now=now,
    )
    return event, len(promoted)


async def call_off_event(
    session: AsyncSession, *, slug: str, actor: Organiser, now: datetime
) -> Event:
    """Cancel the event for everyone (each registrant is told once); audited."""
    # Locked on the first read, so a second call-off waits for the first and then sees it.
    event = await get_event(session, slug, lock=True)
    cancelled = await cancel_event(session, event=event, now=now)
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.cancel",
        event=event,
        before={"cancelled_at": None},
        after={"cancelled_at": now.isoformat(), "registrations_cancelled": cancelled},
        now=now,
    )
    return event


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
    if not any(audit.changed_values(_fields_of(existing), wanted)):
        return SeedResult(fields.slug, SeedOutcome.unchanged)
    changes = EventUpdate.model_validate(wanted)
    _, promoted = await _update_event(
        session, slug=fields.slug, changes=changes, actor=None, now=now
    )
    return SeedResult(fields.slug, SeedOutcome.updated, promoted)
