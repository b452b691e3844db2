"""Organisers' changes to events: list, create, edit and call off, each change
recorded in the audit log.

`rsvp seed` (`app.events.seed`) creates and edits through the same functions, as
the actor `rsvp command` (no organiser).
"""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.events.schemas import EventFields, EventUpdate
from app.events.seating import fill_free_seats
from app.events.service import cancel_event_and_registrations, get_event
from app.kit.db import flush_or_conflict
from app.kit.errors import InvalidChange, InvalidTransition, validation_problems
from app.mail import notifications
from app.models import Event, Organiser
from app.schedule.invitations import plan_invitation_reminders
from app.schedule.reminders import plan_reminders


async def list_events(session: AsyncSession) -> list[Event]:
    return list(await session.scalars(select(Event).order_by(Event.starts_at, Event.id)))


def fields_of(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EventFields.model_fields}


async def create_event(
    session: AsyncSession, *, fields: EventFields, actor: Organiser | None, now: datetime
) -> Event:
    """Add the event; `actor` None is the `rsvp` command."""
    values = fields.model_dump()
    event = Event(**values)
    session.add(event)
    await flush_or_conflict(session, f"An event with the address '{fields.slug}' exists already.")
    await plan_reminders(session, event=event, now=now)
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
    event, _ = await update_event_fields(session, slug=slug, changes=changes, actor=actor, now=now)
    return event


async def update_event_fields(
    session: AsyncSession,
    *,
    slug: str,
    changes: EventUpdate,
    actor: Organiser | None,
    now: datetime,
) -> tuple[Event, int]:
    """`update_event`, also saying how many were promoted from the waitlist."""
    event = await get_event(session, slug, lock=True)
    before = fields_of(event)
    try:
        # The edit is checked as a whole event, so rules across fields still hold.
        after = EventFields.model_validate(before | changes.changes()).model_dump()
    except ValidationError as exc:
        problems = validation_problems(exc, whole="event")
        raise InvalidChange(f"The event would not be valid: {problems}") from exc
    old, new = audit.changed_values(before, after)
    for name, value in new.items():
        setattr(event, name, value)
    event.updated_at = now
    await session.flush()
    promoted = await fill_free_seats(session, event=event, now=now)
    # What has not been sent is re-timed to the new start or the new list.
    await plan_reminders(session, event=event, now=now)
    # A moved start can bring back reminders the start had cut short.
    if {"invitation_reminders", "starts_at"} & new.keys():
        await plan_invitation_reminders(session, event=event, now=now)
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


async def cancel_event(
    session: AsyncSession, *, slug: str, actor: Organiser, now: datetime
) -> Event:
    """The organiser calls the event off (`cancel_event_and_registrations`); audited."""
    # Locked on the first read, so a second call-off waits for the first and then sees it.
    event = await get_event(session, slug, lock=True)
    cancelled = await cancel_event_and_registrations(session, event=event, now=now)
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
