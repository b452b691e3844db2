"""The organiser API for events: list, create, edit, call off, stats."""

from fastapi import APIRouter

from app.deps import ClockDep, SessionDep
from app.events import admin as event_admin
from app.events import service as events
from app.events import stats
from app.events.schemas import EventFields, EventRead, EventStats, EventUpdate
from app.kit.errors import COMMON, error_responses
from app.organisers.dependencies import AUTH_ERRORS, Owner, Viewer

router = APIRouter(prefix="/api/admin", tags=["organisers"], responses=COMMON)

_ERRORS = AUTH_ERRORS | error_responses(
    e404="`not_found`: unknown event", e409="`conflict` (a taken slug) or `invalid_transition`"
)


@router.get("/events", response_model=list[EventRead], responses=_ERRORS)
async def list_events(_: Viewer, session: SessionDep, clock: ClockDep) -> list[EventRead]:
    return [
        await events.read_event(session, event, clock.now())
        for event in await event_admin.list_events(session)
    ]


@router.post("/events", status_code=201, response_model=EventRead, responses=_ERRORS)
async def create_event(
    body: EventFields, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    event = await event_admin.create_event(session, fields=body, actor=organiser, now=clock.now())
    return await events.read_event(session, event, clock.now())


@router.patch("/events/{slug}", response_model=EventRead, responses=_ERRORS)
async def update_event(
    slug: str, body: EventUpdate, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    """Edit an event; raising the capacity promotes the waitlist at once."""
    event = await event_admin.update_event(
        session, slug=slug, changes=body, actor=organiser, now=clock.now()
    )
    return await events.read_event(session, event, clock.now())


@router.post("/events/{slug}/cancel", response_model=EventRead, responses=_ERRORS)
async def cancel_event(
    slug: str, organiser: Owner, session: SessionDep, clock: ClockDep
) -> EventRead:
    """Call the event off: registration closes, every active registration is cancelled,
    and each registrant gets one message with a calendar cancellation."""
    event = await event_admin.cancel_event(session, slug=slug, actor=organiser, now=clock.now())
    return await events.read_event(session, event, clock.now())


@router.get("/events/{slug}/stats", response_model=EventStats, responses=_ERRORS)
async def event_stats(slug: str, _: Viewer, session: SessionDep, clock: ClockDep) -> EventStats:
    event = await events.get_event(session, slug)
    return await stats.event_stats(session, event, now=clock.now())
