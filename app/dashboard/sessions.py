"""The dashboard's session: an opaque random token in a cookie, stored as a digest.

Sessions are rows of the organisers' token table (`TokenKind.session`), so they
expire and are revoked like bearer tokens, and neither kind opens the other's
door. The cookie is HttpOnly (no script reads it), SameSite=Strict (no other
site's page or link sends it), Secure when the site is served over HTTPS, and
scoped to /admin.
"""

from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Organiser, TokenKind
from app.organisers.bearer import issue_token, organiser_for_token, revoke_token

COOKIE = "rsvp_admin_session"
COOKIE_PATH = "/admin"


def lifetime(settings: Settings) -> timedelta:
    """As long as a bearer token (ORGANISER_TOKEN_HOURS)."""
    return timedelta(hours=settings.organiser_token_hours)


def is_secure(request: Request) -> bool:
    """HTTPS as the browser sees it: the request's scheme, or BASE_URL behind a TLS proxy."""
    settings: Settings = request.app.state.settings
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


async def start_session(
    session: AsyncSession,
    response: Response,
    request: Request,
    *,
    organiser: Organiser,
    now: datetime,
) -> None:
    """Issue a session for `organiser` and set its cookie on `response`."""
    settings: Settings = request.app.state.settings
    issued = await issue_token(
        session, organiser=organiser, now=now, lifetime=lifetime(settings), kind=TokenKind.session
    )
    response.set_cookie(
        COOKIE,
        issued.token,
        max_age=issued.expires_in,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )


async def organiser_of(
    session: AsyncSession, request: Request, *, now: datetime
) -> Organiser | None:
    """The organiser whose live session the request's cookie holds, else None."""
    token = session_token(request)
    if token is None:
        return None
    return await organiser_for_token(session, token, now=now, kind=TokenKind.session)


async def revoke_session(session: AsyncSession, request: Request, *, now: datetime) -> None:
    """Revoke the session the request's cookie holds, if any."""
    token = session_token(request)
    if token is not None:
        await revoke_token(session, token, now=now)


async def end_session(
    session: AsyncSession, response: Response, request: Request, *, now: datetime
) -> None:
    """Revoke the request's session (if any) and clear its cookie."""
    await revoke_session(session, request, now=now)
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_secure(request)
    )
