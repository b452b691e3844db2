"""Organisers' changes to events: create and edit, each recorded in the audit log."""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidChange
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
    session: AsyncSession, *, fields: EventFields, actor: Organiser, now: datetime
) -> Event:
    values = fields.model_dump()
    event = Event(**values)
    session.add(event)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An event with the address '{fields.slug}' exists already.") from exc
    await audit.record(
        session,
        actor=actor,
        action="event.create",
        target_type="event",
        target_id=event.slug,
        event_id=event.id,
        before={},
        after=audit.as_json(values),
        now=now,
    )
    return event


async def update_event(
    session: AsyncSession, *, slug: str, changes: EventUpdate, actor: Organiser, now: datetime
) -> Event:
    """Apply the edit; freed seats go to the waitlist, and a new time or venue is announced."""
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
    await audit.record(
        session,
        actor=actor,
        action="event.update",
        target_type="event",
        target_id=event.slug,
        event_id=event.id,
        before=audit.as_json(old),
        after=record_after,
        now=now,
    )
    return event


async def call_off_event(
    session: AsyncSession, *, slug: str, actor: Organiser, now: datetime
) -> Event:
    """Cancel the event for everyone (each registrant is told once); audited."""
    event = await get_event(session, slug)
    cancelled = await cancel_event(session, event=event, now=now)
    await audit.record(
        session,
        actor=actor,
        action="event.cancel",
        target_type="event",
        target_id=event.slug,
        event_id=event.id,
        before={"cancelled_at": None},
        after={"cancelled_at": now.isoformat(), "registrations_cancelled": cancelled},
        now=now,
    )
    return event
