"""The organiser API for one event's registrations: list, detail, actions, check-in.

Its filter parameters (`registration_filters`) serve the CSV export too.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.kit.errors import COMMON, error_responses
from app.kit.pagination import Cursor, Limit
from app.models import AffiliationType, Organiser, RegistrationStatus
from app.organisers.dependencies import AUTH_ERRORS, CurrentOrganiser, Viewer, require_role
from app.organisers.roles import ensure_role
from app.registrations import admin as registration_admin
from app.registrations import transitions
from app.registrations.filters import RegistrationFilters
from app.registrations.schemas import (
    RegistrationDetail,
    RegistrationPage,
    RegistrationRead,
    TicketScan,
)
from app.registrations.transitions import TRANSITIONS, Action

router = APIRouter(prefix="/api/admin/events/{slug}", tags=["organisers"], responses=COMMON)

_ERRORS = AUTH_ERRORS | error_responses(
    e404="`not_found`: unknown event, registration or ticket",
    e409="`invalid_transition`: the action is not legal from the registration's stage",
)


_LIST_HELP = "One or more values, repeated (`?status=a&status=b`) or comma-separated (`a,b`)."


def _listed(items: dict[str, Any]) -> Any:
    """A list filter whose document names its values (`items`), though it is read as text
    so that comma-separated values work too (checked by RegistrationFilters)."""
    schema = {"anyOf": [{"type": "array", "items": items}, {"type": "null"}]}
    return Query(description=_LIST_HELP, json_schema_extra=schema)


StatusList = Annotated[
    list[str] | None, _listed({"enum": [status.value for status in RegistrationStatus]})
]
AffiliationList = Annotated[
    list[str] | None, _listed({"enum": [kind.value for kind in AffiliationType]})
]
CountryList = Annotated[list[str] | None, _listed({"type": "string", "pattern": "^[A-Za-z]{2}$"})]


def _split(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


async def registration_filters(
    status: StatusList = None,
    affiliation_type: AffiliationList = None,
    country: CountryList = None,
    has_un_grounds_pass: bool | None = None,
    checked_in: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in name, e-mail or organisation.")
    ] = None,
) -> RegistrationFilters:
    try:
        return RegistrationFilters.model_validate(
            {
                "status": _split(status),
                "affiliation_type": _split(affiliation_type),
                "country": _split(country),
                "has_un_grounds_pass": has_un_grounds_pass,
                "checked_in": checked_in,
                "q": q,
            }
        )
    except ValidationError as exc:
        # Reported like FastAPI's own query errors: 422, located in the query.
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from exc


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
