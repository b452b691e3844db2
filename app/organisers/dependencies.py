"""Dependencies of the organiser API: the signed-in organiser, their role, the login throttle."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.config import Settings
from app.deps import ClockDep, RateLimiterDep, SessionDep
from app.kit.errors import Unauthorized, error_responses
from app.models import Organiser, OrganiserRole
from app.organisers.bearer import organiser_for_token
from app.organisers.roles import ensure_role
from app.organisers.throttle import LoginThrottle

# What every organiser endpoint may answer before it runs (for the OpenAPI document).
AUTH_ERRORS = error_responses(
    e401="`unauthorized`: no valid bearer token", e403="`forbidden`: the role is too low"
)


async def get_login_throttle(request: Request, limiter: RateLimiterDep) -> LoginThrottle:
    settings: Settings = request.app.state.settings
    return LoginThrottle(
        limiter,
        per_account=settings.rate_limit_login_account,
        per_address=settings.rate_limit_login_address,
    )


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
