"""Dependency aliases shared by the routers."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.bearer import organiser_for_token
from app.auth.roles import ensure_role
from app.auth.throttle import LoginThrottle
from app.clock import Clock
from app.config import Settings
from app.db import get_session
from app.errors import Unauthorized
from app.models import Organiser, OrganiserRole


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_signing_key(request: Request) -> str:
    key: str = request.app.state.signing_key
    return key


def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


# scope="function": the transaction commits before the response leaves, so a 2xx
# always means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# The key of the QR ticket codes (`app.signing`).
SigningKeyDep = Annotated[str, Depends(get_signing_key)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]

# auto_error=False: a missing token gets our 401 body rather than FastAPI's.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
BearerToken = Annotated[str | None, Depends(_bearer)]


async def current_organiser(token: BearerToken, session: SessionDep, clock: ClockDep) -> Organiser:
    if not token:
        raise Unauthorized("Sign in first: this needs an organiser's bearer token.")
    organiser = await organiser_for_token(session, token, now=clock.now())
    if organiser is None:
        raise Unauthorized("This token is unknown, expired or revoked; please sign in again.")
    return organiser


CurrentOrganiser = Annotated[Organiser, Depends(current_organiser)]


def require_role(role: OrganiserRole) -> Any:
    """A dependency giving the signed-in organiser, or 403 when their role is below `role`."""

    async def dependency(organiser: CurrentOrganiser) -> Organiser:
        ensure_role(organiser, role)
        return organiser

    return Depends(dependency)


Viewer = Annotated[Organiser, require_role(OrganiserRole.viewer)]
Owner = Annotated[Organiser, require_role(OrganiserRole.owner)]
