"""The ASGI application."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import health
from app.broadcasts import router as broadcasts_router
from app.config import Settings, get_settings
from app.dashboard import home as dashboard_home
from app.dashboard import records as dashboard_records
from app.dashboard.desk import pages as dashboard_desk
from app.dashboard.invitations import creating as dashboard_inviting
from app.dashboard.invitations import pages as dashboard_invitations
from app.dashboard.overview import page as dashboard_overview
from app.dashboard.registrations import pages as dashboard_registrations
from app.dashboard.rendering import STATIC_DIR as DASHBOARD_STATIC_DIR
from app.dashboard.rendering import STATIC_PATH as DASHBOARD_STATIC_PATH
from app.events import router as events_router
from app.exports import router as exports_router
from app.invitations import admin_router as invitations_admin_router
from app.invitations import router as invitations_router
from app.invitations.admin_router import IMPORT_PATH as INVITATION_IMPORT_PATH
from app.invitations.expiry import EXPIRY
from app.kit.clock import Clock, SystemClock
from app.kit.db import (
    create_engine,
    create_sessionmaker,
    embedded_pgdata,
    release_embedded_postgres,
    resolve_database_url,
)
from app.kit.db_errors import OutageLog
from app.kit.errors import install_error_handlers
from app.kit.middleware import (
    AllowedMethods,
    BodySizeLimit,
    DatabaseOutageGuard,
    FrameProtection,
    ServerTiming,
)
from app.kit.secrets import signing_key
from app.mail.transport import transport_for
from app.mail.worker import run_worker
from app.organisers import router as organisers_router
from app.privacy import router as privacy_router
from app.privacy.housekeeping import HOUSEKEEPING, due_work
from app.registrations import admin_router as registrations_admin_router
from app.registrations import public_router as registrations_public_router
from app.substitutions import router as substitutions_router
from app.web import pages, substitute_pages
from app.web.rendering import STATIC_DIR, form_guard
from app.web.rsvp import pages as rsvp_pages

log = logging.getLogger(__name__)

MAIL_WORKER_GRACE_SECONDS = 10
# Invitation lists may be larger than other bodies: the API's and the dashboard's import.
IMPORT_PATHS = re.compile(
    f"{INVITATION_IMPORT_PATH.pattern}|{dashboard_inviting.IMPORT_PAGE.pattern}"
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # No ping before each request's statements: a dead connection is found by using it.
    engine = create_engine(
        resolve_database_url(settings), pool_size=settings.db_pool_size, pre_ping=False
    )
    app.state.sessionmaker = create_sessionmaker(engine, settings=settings)
    stop_mail = asyncio.Event()
    mail_worker = (
        asyncio.create_task(
            run_worker(
                app.state.sessionmaker,
                transport_for(settings),
                settings=settings,
                clock=app.state.clock,
                stop=stop_mail,
                periodic=[HOUSEKEEPING, EXPIRY],
                duties=due_work(settings),
            )
        )
        if settings.mail_worker_in_process
        else None
    )
    try:
        yield
    finally:
        stop_mail.set()
        if mail_worker is not None:
            # It finishes its batch if it can; cut off, its claimed rows are due
            # again when their lease ends, so nothing is lost.
            with suppress(TimeoutError):
                await asyncio.wait_for(mail_worker, MAIL_WORKER_GRACE_SECONDS)
        await engine.dispose()
        if not settings.database_url:
            release_embedded_postgres(embedded_pgdata(settings))


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app. Tests set `app.state.sessionmaker` themselves and skip the lifespan."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Side-event registration",
        summary="Sign-ups, seats, waitlist and confirmations for UN side-events.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    # Read once: it signs the forms and keys the QR ticket codes.
    app.state.signing_key = signing_key(settings)
    app.state.form_guard = form_guard(app.state.signing_key, settings)
    install_error_handlers(app)
    # Browsers asking for an address outside /api get a page, not JSON.
    app.add_exception_handler(StarletteHTTPException, pages.unknown_address)
    app.add_middleware(AllowedMethods)
    docs_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(FrameProtection, paths=frozenset(p for p in docs_pages if p))
    app.state.outage_log = OutageLog()
    app.add_middleware(
        DatabaseOutageGuard, outage_log=app.state.outage_log, page_refusal=pages.unavailable_page
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        page_refusal=lambda request: (
            pages.too_large_page(request) or dashboard_inviting.too_large_page(request)
        ),
        larger=(IMPORT_PATHS, settings.max_import_bytes),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Content-Type", "Authorization"],
        )
    # Outermost: the time it reports covers every other middleware too.
    app.add_middleware(ServerTiming)
    app.include_router(health.router)
    app.include_router(registrations_public_router.router)
    app.include_router(substitutions_router.router)
    app.include_router(privacy_router.router)
    app.include_router(organisers_router.router)
    app.include_router(events_router.router)
    app.include_router(organisers_router.audit_router)
    app.include_router(registrations_admin_router.router)
    app.include_router(broadcasts_router.router)
    app.include_router(exports_router.router)
    app.include_router(dashboard_home.router)
    app.include_router(invitations_router.router)
    app.include_router(invitations_admin_router.router)
    app.include_router(dashboard_overview.router)
    app.include_router(dashboard_records.router)
    app.include_router(dashboard_registrations.router)
    app.include_router(dashboard_desk.router)
    # Before the invitations' pages: `new` and `import` are not invitation ids.
    app.include_router(dashboard_inviting.router)
    app.include_router(dashboard_invitations.router)
    # The pages' routers: their refusals made by middleware are pages too.
    app.state.page_routers = (pages.router, substitute_pages.router, rsvp_pages.router)
    for page_router in app.state.page_routers:
        app.include_router(page_router)
    app.mount(DASHBOARD_STATIC_PATH, StaticFiles(directory=DASHBOARD_STATIC_DIR), name="dashboard")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
