"""The way in: `GET /admin` (the sign-in form, or the events once signed in),
signing in and out, and the events list linking each event's overview.

Sign-in uses the API's accounts, argon2 check and throttle (`app.organisers`),
so a wrong password here counts against the same limits as one sent to
`POST /api/auth/token`.
"""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard import sessions
from app.dashboard.auth import HOME_PATH, PageOrganiser, safe_next
from app.dashboard.csrf import CsrfProtected
from app.dashboard.rendering import HEADERS, render_page
from app.dashboard.routing import dashboard_router
from app.deps import ClientAddress, ClockDep, SessionDep
from app.events import admin as event_admin
from app.events.seating import seats
from app.kit.errors import RateLimited
from app.organisers import accounts
from app.organisers.dependencies import LoginThrottleDep
from app.web import i18n
from app.web.i18n import N_
from app.web.rendering import page_language

router = dashboard_router()

WRONG_CREDENTIALS = N_("Wrong e-mail address or password.")
THROTTLED = N_("Too many failed sign-ins; please wait before trying again.")
DONE_MESSAGES = {"signed-out": N_("You have signed out.")}


def _sign_in_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request,
        "dashboard/sign_in.html",
        {
            "next_path": next_path,
            "values": {"email": email},
            "errors": {"email": error} if error else {},
            "done": DONE_MESSAGES.get(request.query_params.get("done") or ""),
        },
        status_code=status_code,
    )


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(HEADERS)
    return response


async def _events_page(request: Request, session: AsyncSession, now: datetime) -> HTMLResponse:
    lang = page_language(request)
    rows = []
    for event in await event_admin.list_events(session):
        starts = event.starts_at.astimezone(ZoneInfo(event.timezone))
        rows.append(
            {
                "event": event,
                "date": i18n.event_date(starts, lang),
                "seats": await seats(session, event, now=now),
            }
        )
    return render_page(request, "dashboard/events.html", {"rows": rows})


@router.get("/admin", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    """The events when signed in, else the sign-in form (coming back here)."""
    organiser = await sessions.organiser_of(session, request, now=clock.now())
    if organiser is None:
        return _sign_in_form(request, next_path=HOME_PATH)
    request.state.organiser = organiser
    return await _events_page(request, session, clock.now())


@router.get("/admin/events", response_class=HTMLResponse)
async def events_list(
    _: PageOrganiser, request: Request, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    return await _events_page(request, session, clock.now())


@router.get("/admin/sign-in", response_model=None)
async def sign_in_page(
    request: Request, session: SessionDep, clock: ClockDep, next: str | None = None
) -> Response:
    target = safe_next(next)
    if await sessions.organiser_of(session, request, now=clock.now()) is not None:
        return _redirect(target)
    return _sign_in_form(request, next_path=target)


@router.post("/admin/sign-in", response_model=None)
async def sign_in(
    request: Request,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    throttle: LoginThrottleDep,
    address: ClientAddress,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME_PATH,
) -> Response:
    target = safe_next(next)
    try:
        # Counted before the password is checked, as the API does.
        await throttle.attempt(email=email, address=address)
    except RateLimited as limited:
        refused = _sign_in_form(
            request, next_path=target, email=email, error=THROTTLED, status_code=429
        )
        refused.headers.update(limited.headers or {})
        return refused
    organiser = await accounts.authenticate(session, email=email, password=password)
    if organiser is None:
        return _sign_in_form(
            request, next_path=target, email=email, error=WRONG_CREDENTIALS, status_code=401
        )
    await throttle.succeeded(email=email, address=address)
    response = _redirect(target)
    now = clock.now()
    # A session the browser had before is ended: a new sign-in never reuses a token.
    await sessions.revoke_session(session, request, now=now)
    await sessions.start_session(session, response, request, organiser=organiser, now=now)
    return response


@router.post("/admin/sign-out", response_model=None)
async def sign_out(
    _: PageOrganiser, __: CsrfProtected, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    response = _redirect("/admin/sign-in?done=signed-out")
    await sessions.end_session(session, response, request, now=clock.now())
    return response
