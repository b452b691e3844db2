"""The organiser API: events, their stats, and the audit log."""

from typing import Any

from fastapi import APIRouter

from app.deps import ClockDep, Owner, SessionDep, Viewer
from app.routers.params import Cursor, Limit
from app.schemas.admin import AuditEntryRead, AuditPage, EventStats
from app.schemas.event import EventFields, EventRead, EventUpdate
from app.services import event_admin, events, stats
from app.services.audit_log import list_audit_entries

router = APIRouter(prefix="/api/admin", tags=["organisers"])

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "The organiser's role is too low"},
}


@router.get("/events", response_model=list[EventRead], responses=AUTH_ERRORS)
async def list_events(_: Viewer, session: SessionDep, clock: ClockDep) -> list[EventRead]:
    return [
        await events.read_event(session, event, clock.now())
        for event in await event_admin.list_events(session)
    ]


@router.post("/events", status_code=201, response_model=EventRead, responses=AUTH_ERRORS)
async def create_event(
    body: EventFields, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    event = await event_admin.create_event(session, fields=body, actor=organiser, now=clock.now())
    return await events.read_event(session, event, clock.now())


@router.patch("/events/{slug}", response_model=EventRead, responses=AUTH_ERRORS)
async def update_event(
    slug: str, body: EventUpdate, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    """Edit an event; raising the capacity promotes the waitlist at once."""
    event = await event_admin.update_event(
        session, slug=slug, changes=body, actor=organiser, now=clock.now()
    )
    return await events.read_event(session, event, clock.now())


@router.post("/events/{slug}/cancel", response_model=EventRead, responses=AUTH_ERRORS)
async def cancel_event(
    slug: str, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    """Call the event off: registration closes, every active registration is cancelled,
    and each registrant gets one message with a calendar cancellation."""
    event = await event_admin.call_off_event(session, slug=slug, actor=organiser, now=clock.now())
    return await events.read_event(session, event, clock.now())


@router.get("/events/{slug}/stats", response_model=EventStats, responses=AUTH_ERRORS)
async def event_stats(slug: str, _: Viewer, session: SessionDep) -> EventStats:
    event = await events.get_event(session, slug)
    return await stats.event_stats(session, event)


@router.get("/audit", response_model=AuditPage, responses=AUTH_ERRORS)
async def audit_log(
    _: Viewer, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> AuditPage:
    """Organiser changes, newest first."""
    page = await list_audit_entries(session, limit=limit, cursor=cursor)
    return AuditPage(
        items=[AuditEntryRead.model_validate(entry) for entry in page.items],
        next_cursor=page.next_cursor,
        total=page.total,
    )
