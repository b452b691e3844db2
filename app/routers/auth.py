"""Organiser sign-in and sign-out."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.auth.bearer import issue_token, revoke_token
from app.deps import (
    BearerToken,
    ClockDep,
    CurrentOrganiser,
    LoginThrottleDep,
    SessionDep,
    SettingsDep,
)
from app.errors import Unauthorized
from app.schemas.auth import TokenRead
from app.services import organisers

router = APIRouter(prefix="/api/auth", tags=["organisers"])


@router.post("/token", response_model=TokenRead)
async def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
) -> TokenRead:
    """Exchange an organiser's e-mail (`username`) and password for a bearer token."""
    # Behind a reverse proxy this is the proxy's address unless uvicorn trusts its headers.
    address = request.client.host if request.client else "unknown"
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
