"""HTML pages."""

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.deps import ClockDep, SessionDep, SettingsDep
from app.services import events

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/")
async def home(settings: SettingsDep) -> RedirectResponse:
    return RedirectResponse(f"/events/{settings.default_event_slug}", status_code=307)


@router.get("/events/{slug}", response_class=HTMLResponse)
async def event_page(
    slug: str, request: Request, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    info = await events.read_event(session, event, clock.now())
    zone = ZoneInfo(info.timezone)
    return templates.TemplateResponse(
        request,
        "event.html",
        {
            "event": info,
            "starts": info.starts_at.astimezone(zone),
            "ends": info.ends_at.astimezone(zone),
        },
    )
