"""Organiser sign-in and sign-out, and the audit log of organisers' changes.

The audit log is read here, not in `app.audit`: that package is written to by
every domain, this one included, so it cannot depend on organisers' sign-in.
"""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.audit.schemas import AuditEntryRead, AuditPage
from app.audit.service import list_audit_entries
from app.deps import ClientAddress, ClockDep, SessionDep, SettingsDep
from app.kit.errors import COMMON, Unauthorized, error_responses
from app.kit.pagination import Cursor, Limit
from app.organisers import accounts as organisers
from app.organisers.bearer import issue_token, revoke_token
from app.organisers.dependencies import (
    AUTH_ERRORS,
    BearerToken,
    CurrentOrganiser,
    LoginThrottleDep,
    Viewer,
)
from app.organisers.schemas import TokenRead

router = APIRouter(
    prefix="/api/auth",
    tags=["organisers"],
    responses=COMMON
    | error_responses(e401="`unauthorized`: a wrong password, or no valid bearer token"),
)
audit_router = APIRouter(prefix="/api/admin", tags=["organisers"], responses=COMMON)


@router.post("/token", response_model=TokenRead)
async def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    address: ClientAddress,
) -> TokenRead:
    """Exchange an organiser's e-mail (`username`) and password for a bearer token."""
    # Counted before the password is checked, so simultaneous guesses cannot all slip in.
    await throttle.attempt(email=form.username, address=address)
    organiser = await organisers.authenticate(session, email=form.username, password=form.password)
    if organiser is None:
        raise Unauthorized("Wrong e-mail address or password.")
    await throttle.succeeded(email=form.username, address=address)
    issued = await issue_token(
        session,
        organiser=organiser,
        now=clock.now(),
        lifetime=timedelta(hours=settings.organiser_token_hours),
    )
    return TokenRead(access_token=issued.token, expires_in=issued.expires_in)


@router.post("/logout", status_code=204, response_class=Response)
async def sign_out(
    _: CurrentOrganiser, token: BearerToken, session: SessionDep, clock: ClockDep
) -> Response:
    """Revoke the bearer token this request carries."""
    assert token is not None  # CurrentOrganiser has checked it
    await revoke_token(session, token, now=clock.now())
    return Response(status_code=204)


@audit_router.get("/audit", response_model=AuditPage, responses=AUTH_ERRORS)
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
