"""`GET /admin/events/{slug}`: the event's overview; and the JSON its script polls.

The page is whole without JavaScript. With it, `overview.js` (served from
/admin/static under the pages' CSP) fetches `overview.json` every 15 seconds
and writes the new figures, already formatted in the page's language, into
the figures' `aria-live="polite"` list, so screen readers hear what changed.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.dashboard.auth import PageOrganiser
from app.dashboard.overview.figures import overview_of
from app.dashboard.overview.views import charts, figures
from app.dashboard.rendering import HEADERS, render_page
from app.dashboard.routing import dashboard_router
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.events.seating import seats
from app.models import Event, Language
from app.web import i18n
from app.web.rendering import page_language

router = dashboard_router()

REFRESH_SECONDS = 15


def _as_of(event: Event, now: datetime, lang: Language) -> str:
    return format_time(now.astimezone(ZoneInfo(event.timezone)), "medium", locale=i18n.locale(lang))


@router.get("/admin/events/{slug}", response_class=HTMLResponse)
async def overview_page(
    slug: str, _: PageOrganiser, request: Request, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    lang = page_language(request)
    overview = await overview_of(session, event, now=clock.now())
    zone = ZoneInfo(event.timezone)
    starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    return render_page(
        request,
        "dashboard/overview.html",
        {
            "event": event,
            "section": "overview",
            "date": i18n.event_date(starts, lang),
            "times": i18n.event_times(starts, ends, lang),
            "figures": figures(overview.seats, lang),
            "charts": charts(overview, lang),
            "as_of": _as_of(event, clock.now(), lang),
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@router.get("/admin/events/{slug}/overview.json")
async def overview_figures(
    slug: str, _: PageOrganiser, request: Request, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    """The headline figures, formatted for the page's language: `{figures, as_of}`.
    All from the event's counters: one row read by its key."""
    event = await events.get_event(session, slug)
    lang = page_language(request)
    response = JSONResponse(
        {
            "figures": {
                key: value
                for key, _, value in figures(await seats(session, event, now=clock.now()), lang)
            },
            "as_of": _as_of(event, clock.now(), lang),
        }
    )
    response.headers.update(HEADERS)
    return response
