"""`/api/admin/events/{slug}/messages`: an owner sends a broadcast; organisers read the history."""

from fastapi import APIRouter

from app.broadcasts import service
from app.broadcasts.schemas import BroadcastCreate, BroadcastList, BroadcastRead
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.kit.errors import COMMON, error_responses
from app.organisers.dependencies import AUTH_ERRORS, Owner, Viewer

router = APIRouter(
    prefix="/api/admin/events/{slug}/messages", tags=["organisers"], responses=COMMON
)

_ERRORS = AUTH_ERRORS | error_responses(e404="`not_found`: unknown event")


@router.post(
    "",
    status_code=201,
    response_model=BroadcastRead,
    responses=_ERRORS
    | error_responses(
        e422="`validation_error`: empty or too long subject or body, unknown filter or value",
        e429="`rate_limited`: the same message to the same filters within a minute; "
        "see Retry-After",
    ),
)
async def send_broadcast(
    slug: str, body: BroadcastCreate, owner: Owner, session: SessionDep, clock: ClockDep
) -> BroadcastRead:
    """Queue one e-mail to each registrant the filters match (owner only)."""
    event = await events.get_event(session, slug)
    broadcast = await service.send_broadcast(
        session, event=event, organiser=owner, request=body, now=clock.now()
    )
    (read,) = await service.with_delivery(session, [broadcast])
    return read


@router.get("", response_model=BroadcastList, responses=_ERRORS)
async def list_broadcasts(slug: str, _: Viewer, session: SessionDep) -> BroadcastList:
    """What was sent, when, by whom, to how many, and how its delivery stands."""
    event = await events.get_event(session, slug)
    return BroadcastList(items=await service.history(session, event))
