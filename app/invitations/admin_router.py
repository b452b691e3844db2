"""The organiser API for one event's invitations: create (one, a list or a CSV file),
list, read with e-mail history, and the actions resend, revoke and extend."""

import re
import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from app.deps import ClockDep, SessionDep, SettingsDep
from app.events import service as events
from app.invitations import reads, service
from app.invitations.imports import read_invitations
from app.invitations.schemas import (
    CreatedInvitations,
    DryRun,
    ExtendBody,
    InvitationDetail,
    InvitationPage,
    InvitationRead,
    IssuedInvitation,
)
from app.invitations.service import Issued
from app.invitations.transitions import TRANSITIONS, Move
from app.kit.errors import COMMON, InvalidChange, domain_validation_response, error_responses
from app.kit.pagination import Cursor, Limit
from app.models import Invitation, InvitationStatus, Organiser, OrganiserRole
from app.organisers.dependencies import AUTH_ERRORS, CurrentOrganiser, Owner, Viewer
from app.organisers.roles import ensure_role

router = APIRouter(prefix="/api/admin/events/{slug}", tags=["organisers"], responses=COMMON)

# Where the invitation lists are posted: their bodies may be larger than others'.
IMPORT_PATH = re.compile(r"/api/admin/events/[^/]+/invitations")

_ERRORS = (
    AUTH_ERRORS
    | error_responses(
        e404="`not_found`: unknown event or invitation",
        e409="`invalid_transition`, `already_invited`, `already_registered`, `event_full`",
    )
    | domain_validation_response(
        "`validation_error`: the body is not valid; for an import, `rows` names each bad "
        "row by number and field, and nothing is created; for `extend`, a deadline not in "
        "the future"
    )
)

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'One invitation object, `{"invitations": [...]}` (up to 1,000), '
        "or a `text/csv` file whose header row names the fields (rows numbered as in a "
        "spreadsheet: the header is row 1).",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def _issued(one: Issued, base_url: str) -> IssuedInvitation:
    return IssuedInvitation(
        **InvitationRead.model_validate(one.invitation).model_dump(),
        rsvp_url=f"{base_url}/i/{one.token}",
    )


@router.post(
    "/invitations",
    status_code=201,
    response_model=CreatedInvitations | IssuedInvitation | DryRun,
    responses={200: {"model": DryRun, "description": "`?dry_run=true`"}, **_ERRORS},
    openapi_extra=_BODY_DOC,
)
async def create_invitations(
    slug: str,
    request: Request,
    organiser: Owner,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Check everything, create nothing.")] = False,
) -> Any:
    """Invite one person or many, all or nothing: a bad row refuses the list (422,
    naming every bad row and field). Each invitee gets an e-mail with their RSVP link;
    the answer shows each link once (`rsvp_url`)."""
    listed = read_invitations(request.headers.get("content-type"), await request.body())
    made = await service.create_invitations(
        session,
        event_slug=slug,
        rows=listed.rows,
        actor=organiser,
        now=clock.now(),
        dry_run=dry_run,
        first_row=listed.first_row,
    )
    if isinstance(made, int):
        return JSONResponse(DryRun(count=len(listed.rows), seats_to_hold=made).model_dump())
    issued = [_issued(one, settings.base_url) for one in made]
    if listed.single:
        # The invitation itself, and listed as for a list, so either reading works.
        return JSONResponse(
            {
                **issued[0].model_dump(mode="json"),
                "invitations": [issued[0].model_dump(mode="json")],
            },
            status_code=201,
        )
    return CreatedInvitations(invitations=issued)


StatusList = Annotated[
    list[InvitationStatus] | None,
    Query(description="One or more statuses, repeated (`?status=a&status=b`)."),
]


@router.get("/invitations", response_model=InvitationPage, responses=_ERRORS)
async def list_invitations(
    slug: str,
    _: Viewer,
    session: SessionDep,
    status: StatusList = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in name, e-mail or organisation.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> InvitationPage:
    """Invitations oldest first, `limit` at a time; follow `next_cursor` for more."""
    event = await events.get_event(session, slug)
    page = await reads.list_invitations(
        session, event=event, statuses=status, q=q, limit=limit, cursor=cursor
    )
    return InvitationPage(
        items=[InvitationRead.model_validate(one) for one in page.items],
        next_cursor=page.next_cursor,
        total=page.total,
    )


@router.get("/invitations/{invitation_id}", response_model=InvitationDetail, responses=_ERRORS)
async def read_invitation(
    slug: str, invitation_id: uuid.UUID, _: Viewer, session: SessionDep
) -> InvitationDetail:
    event = await events.get_event(session, slug)
    invitation = await service.by_id(session, event, invitation_id)
    return InvitationDetail(
        **InvitationRead.model_validate(invitation).model_dump(),
        emails=await reads.email_history(session, invitation.id),
    )


class Action(StrEnum):
    resend = "resend"
    revoke = "revoke"
    extend = "extend"


async def _may_perform(action: Action, organiser: CurrentOrganiser) -> Organiser:
    role = TRANSITIONS[Move(action.value)].role
    ensure_role(organiser, role or OrganiserRole.owner)
    return organiser


@router.post(
    "/invitations/{invitation_id}/{action}",
    response_model=InvitationRead | IssuedInvitation,
    responses=_ERRORS,
)
async def act_on_invitation(
    slug: str,
    invitation_id: uuid.UUID,
    action: Action,
    organiser: Annotated[Organiser, Depends(_may_perform)],
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: Annotated[ExtendBody | None, Body()] = None,
) -> InvitationRead | IssuedInvitation:
    """`resend` (a new `rsvp_url`; the old link stops working), `revoke` (held seats are
    freed), `extend` (body `{"respond_by"}`; an expired invitation is open again)."""
    now = clock.now()
    invitation: Invitation
    if action == Action.resend:
        issued = await service.resend(
            session, event_slug=slug, invitation_id=invitation_id, actor=organiser, now=now
        )
        return _issued(issued, settings.base_url)
    if action == Action.revoke:
        invitation = await service.revoke(
            session, event_slug=slug, invitation_id=invitation_id, actor=organiser, now=now
        )
    else:
        if body is None:
            raise InvalidChange('extend needs a body: {"respond_by": "<ISO 8601 with offset>"}.')
        invitation = await service.extend(
            session,
            event_slug=slug,
            invitation_id=invitation_id,
            respond_by=body.respond_by,
            actor=organiser,
            now=now,
        )
    return InvitationRead.model_validate(invitation)
