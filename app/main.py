"""The ASGI application."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.auth.throttle import LoginThrottle
from app.clock import Clock, SystemClock
from app.config import Settings, get_settings
from app.db import (
    create_engine,
    create_sessionmaker,
    release_embedded_postgres,
    resolve_database_url,
)
from app.errors import install_error_handlers
from app.middleware import BodySizeLimit
from app.routers import admin, admin_exports, admin_registrations, auth, health, public
from app.web import pages
from app.web.rendering import STATIC_DIR, form_guard

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(resolve_database_url(settings), pool_size=settings.db_pool_size)
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()
        release_embedded_postgres()


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
    app.state.form_guard = form_guard(settings)
    app.state.login_throttle = LoginThrottle(settings)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Content-Type", "Authorization"],
        )
    app.include_router(health.router)
    app.include_router(public.router)
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(admin_registrations.router)
    app.include_router(admin_exports.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
