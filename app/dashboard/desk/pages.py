"""The check-in desk: one input a QR scanner types into (or a person), a find-by-name.

Works without JavaScript: the scan is a form post answered with the desk again,
the result on top and the input focused (`autofocus`) for the next. With it,
`desk.js` posts the same form with fetch and swaps in the answer's result, count
and name list, so the page never reloads. The answer's status says the outcome
as the API would: 200 welcome, 409 refused (already checked in, not confirmed),
404 unknown code.
"""

import uuid
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from app.dashboard.auth import PageOrganiser, may, require_page_role
from app.dashboard.csrf import CsrfProtected
from app.dashboard.desk import scan
from app.dashboard.desk.scan import Outcome, ScanResult
from app.dashboard.registrations.labels import STAGE_LABELS
from app.dashboard.rendering import render_page
from app.dashboard.routing import dashboard_router
from app.dashboard.when import clock_formatter
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.models import Event, Organiser
from app.registrations.transitions import Action, Stage
from app.web.rendering import page_language

router = dashboard_router()

STATUS_CODES = {
    Outcome.welcome: 200,
    Outcome.already_checked_in: 409,
    Outcome.not_confirmed: 409,
    Outcome.unknown: 404,
}
# The longest name search the list's filter takes.
MAX_SEARCH = 200


def desk_path(slug: str) -> str:
    return f"/admin/events/{slug}/desk"


async def _desk(
    request: Request,
    session: SessionDep,
    event: Event,
    organiser: Organiser,
    *,
    result: ScanResult | None = None,
    search: str = "",
) -> HTMLResponse:
    search = search.strip()[:MAX_SEARCH]
    lang = page_language(request)
    context: dict[str, Any] = {
        "event": event,
        "staff": may(organiser, Action.check_in),
        "result": result,
        "search": search,
        "matches": await scan.find_by_name(session, event=event, words=search) if search else [],
        "arrivals": await scan.arrivals(session, event),
        "clock": clock_formatter(event, lang),
        "stage_labels": STAGE_LABELS,
        "not_confirmed_stage": Stage(result.status.value)
        if result and result.status is not None
        else None,
    }
    status_code = STATUS_CODES[result.outcome] if result else 200
    return render_page(request, "dashboard/desk.html", context, status_code=status_code)


@router.get("/admin/events/{slug}/desk")
async def desk(
    request: Request, slug: str, organiser: PageOrganiser, session: SessionDep
) -> HTMLResponse:
    """Open to every role, so a viewer sees the count; only staff and owners get the
    input and the buttons (the API's check-in needs staff)."""
    event = await events.get_event(session, slug)
    return await _desk(request, session, event, organiser, search=request.query_params.get("q", ""))


@router.post("/admin/events/{slug}/desk")
async def scan_ticket(
    request: Request,
    slug: str,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    code: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    require_page_role(organiser, Action.check_in)
    event = await events.get_event(session, slug)
    if not code.strip():
        # Enter pressed on an empty input: nothing scanned, nothing to say.
        return await _desk(request, session, event, organiser)
    result = await scan.check_in_by_code(
        session, event=event, code=code, actor=organiser, now=clock.now()
    )
    return await _desk(request, session, event, organiser, result=result)


@router.post("/admin/events/{slug}/desk/{registration_id}/check-in")
async def check_in_found(
    request: Request,
    slug: str,
    registration_id: uuid.UUID,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    q: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """Someone found by name: checked in like a scan, the name list kept in view."""
    require_page_role(organiser, Action.check_in)
    event = await events.get_event(session, slug)
    result = await scan.check_in_by_id(
        session, event=event, registration_id=registration_id, actor=organiser, now=clock.now()
    )
    return await _desk(request, session, event, organiser, result=result, search=q)
