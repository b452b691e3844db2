"""The invitee's API, through the RSVP link's token; and an invitee's removal of a companion."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path

from app.deps import (
    ClockDep,
    InviteeWrite,
    RegistrantWrite,
    SessionDep,
    SettingsDep,
    SigningKeyDep,
)
from app.invitations import companions, reads, service
from app.invitations.schemas import (
    AcceptBody,
    DeclineBody,
    DelegateBody,
    InviteeView,
)
from app.kit.errors import COMMON, error_responses
from app.registrations.schemas import RegistrantRead

router = APIRouter(prefix="/api", tags=["invitees"], responses=COMMON)

Token = Annotated[str, Path()]

_ERRORS = error_responses(
    e404="`invalid_token` (unknown or replaced link), or `not_found`",
    e409="`invalid_transition` (answered already, revoked), `invitation_expired`, "
    "`already_registered`, `already_invited`, `event_full`, `org_limit_reached`",
)


@router.get("/invitations/{token}", response_model=InviteeView, responses=_ERRORS)
async def read_invitation(token: Token, session: SessionDep, clock: ClockDep) -> InviteeView:
    """The invitation (its status as of now) and its event."""
    invitation = await service.by_token(session, token)
    return await reads.invitee_view(session, invitation, clock.now())


@router.post(
    "/invitations/{token}/accept",
    status_code=201,
    response_model=RegistrantRead,
    responses=_ERRORS,
    dependencies=[InviteeWrite],
)
async def accept_invitation(
    token: Token,
    body: AcceptBody,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    key: SigningKeyDep,
) -> RegistrantRead:
    """Accept, with named companions (at most `companions_allowed`): the invitee's
    registration, with its manage link and the companions' tickets."""
    accepted = await service.accept(
        session, token=token, body=body, now=clock.now(), ticket_key=key
    )
    return RegistrantRead.build(
        accepted.registration,
        token=accepted.manage_token,
        base_url=settings.base_url,
        ticket_key=key,
        companions=accepted.companions,
    )


@router.post(
    "/invitations/{token}/decline",
    response_model=InviteeView,
    responses=_ERRORS,
    dependencies=[InviteeWrite],
)
async def decline_invitation(
    token: Token,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[DeclineBody | None, Body()] = None,
) -> InviteeView:
    """Decline, with an optional note to the organisers; held seats are freed."""
    invitation = await service.decline(
        session, token=token, note=body.note if body else None, now=clock.now()
    )
    return await reads.invitee_view(session, invitation, clock.now())


@router.post(
    "/invitations/{token}/delegate",
    response_model=InviteeView,
    responses=_ERRORS,
    dependencies=[InviteeWrite],
)
async def delegate_invitation(
    token: Token, body: DelegateBody, session: SessionDep, clock: ClockDep
) -> InviteeView:
    """Send someone in your place: they get an invitation of their own (same holds and
    deadline); this one becomes `delegated`, with `delegated_to` its id."""
    invitation, _ = await service.delegate(session, token=token, body=body, now=clock.now())
    return await reads.invitee_view(session, invitation, clock.now())


@router.post(
    "/registrations/{token}/companions/{companion_id}/cancel",
    response_model=RegistrantRead,
    responses=_ERRORS,
    dependencies=[RegistrantWrite],
)
async def cancel_companion(
    token: Token,
    companion_id: uuid.UUID,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    key: SigningKeyDep,
) -> RegistrantRead:
    """An invitee removes one of their companions (by its id, from `companions`): its
    seat is freed; the invitee and their other companions keep theirs."""
    registration, listed = await companions.cancel_companion(
        session, token=token, companion_id=companion_id, now=clock.now()
    )
    return RegistrantRead.build(
        registration, token=token, base_url=settings.base_url, ticket_key=key, companions=listed
    )
