"""The organiser API for one event's registrations: list, detail, actions, check-in."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.roles import ensure_role
from app.deps import ClockDep, CurrentOrganiser, SessionDep, Viewer, require_role
from app.models import Organiser
from app.routers.admin import AUTH_ERRORS
from app.routers.params import Cursor, Limit, registration_filters
from app.schemas.admin import RegistrationDetail, RegistrationPage, TicketScan
from app.schemas.registration import RegistrationRead
from app.services import events, registration_admin, transitions
from app.services.registration_filters import RegistrationFilters
from app.services.transitions import TRANSITIONS, Action

router = APIRouter(prefix="/api/admin/events/{slug}", tags=["organisers"])

_ERRORS = AUTH_ERRORS | {
    404: {"description": "Unknown event or registration"},
    409: {"description": "The action is not legal from the registration's stage"},
}


async def _may_perform(action: Action, organiser: CurrentOrganiser) -> Organiser:
    ensure_role(organiser, TRANSITIONS[action].role)
    return organiser


@router.get("/registrations", response_model=RegistrationPage, responses=_ERRORS)
async def list_registrations(
    slug: str,
    _: Viewer,
    filters: Annotated[RegistrationFilters, Depends(registration_filters)],
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> RegistrationPage:
    """Registrations oldest first, `limit` at a time; follow `next_cursor` for more."""
    event = await events.get_event(session, slug)
    page = await registration_admin.list_registrations(
        session, event=event, filters=filters, limit=limit, cursor=cursor
    )
    return RegistrationPage(
        items=[RegistrationRead.model_validate(r) for r in page.items],
        next_cursor=page.next_cursor,
        total=page.total,
    )


@router.get(
    "/registrations/{registration_id}", response_model=RegistrationDetail, responses=_ERRORS
)
async def read_registration(
    slug: str, registration_id: uuid.UUID, _: Viewer, session: SessionDep
) -> RegistrationDetail:
    event = await events.get_event(session, slug)
    registration = await registration_admin.get_registration(
        session, event=event, registration_id=registration_id
    )
    return RegistrationDetail(
        **RegistrationRead.model_validate(registration).model_dump(),
        emails=await registration_admin.email_history(session, registration),
    )


@router.post(
    "/registrations/{registration_id}/{action}", response_model=RegistrationRead, responses=_ERRORS
)
async def act_on_registration(
    slug: str,
    registration_id: uuid.UUID,
    action: Action,
    organiser: Annotated[Organiser, Depends(_may_perform)],
    session: SessionDep,
    clock: ClockDep,
) -> RegistrationRead:
    """Check-in and undo-check-in need staff; the other actions need owner."""
    registration = await transitions.apply_action(
        session,
        event_slug=slug,
        registration_id=registration_id,
        action=action,
        actor=organiser,
        now=clock.now(),
    )
    return RegistrationRead.model_validate(registration)


@router.post("/check-in", response_model=RegistrationRead, responses=_ERRORS)
async def check_in_by_ticket(
    slug: str,
    body: TicketScan,
    organiser: Annotated[Organiser, require_role(TRANSITIONS[Action.check_in].role)],
    session: SessionDep,
    clock: ClockDep,
) -> RegistrationRead:
    """Check in by the code in the QR ticket; a second scan is 409 with the first time."""
    registration = await transitions.check_in_by_ticket(
        session, event_slug=slug, ticket_code=body.ticket_code, actor=organiser, now=clock.now()
    )
    return RegistrationRead.model_validate(registration)
