"""Database plumbing: the declarative base, engines, sessions and the embedded server."""

import json
import logging
import os
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from starlette.requests import HTTPConnection

from app.config import Settings
from app.kit.db.driver import BEHIND_PGBOUNCER
from app.kit.errors import Conflict

log = logging.getLogger(__name__)

# Stable constraint names, so migrations can refer to (and drop) them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EMBEDDED_DATABASE = "rsvp"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_embedded_servers: dict[Path, Any] = {}


def start_embedded_postgres(pgdata: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or join) a pgserver PostgreSQL in `pgdata`; return an asyncpg URL to `database`.

    pgserver reference-counts its handles across processes and stops the server
    when the last one exits, so `rsvp migrate`, `rsvp seed` and `rsvp serve` can
    each call this in turn.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, containers); harmless.
        warnings.simplefilter("ignore", UserWarning)
        import pgserver

    pgdata = pgdata.resolve()
    server = _embedded_servers.get(pgdata)
    if server is None:
        pgdata.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata)
        log.info("starting embedded PostgreSQL in %s", pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        _embedded_servers[pgdata] = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return to_asyncpg_url(server.get_uri(database))


def release_embedded_postgres(pgdata: Path) -> None:
    """Drop this process's handle on the server in `pgdata`; pgserver stops a server
    when its last handle goes.

    Called on shutdown rather than left to pgserver's atexit hook, which a process
    ended by a signal (as uvicorn ends itself on SIGTERM) never runs.
    """
    pgdata = pgdata.resolve()
    server = _embedded_servers.pop(pgdata, None)
    if server is not None:
        _forget_dead_handles(pgdata)
        server.cleanup()


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver counts the processes using a server in a file, and a process killed by a
    signal never takes itself off; without this, its server would never be stopped."""
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        pids = json.loads(handles.read_text())
        handles.write_text(json.dumps([pid for pid in pids if _alive(pid)]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def to_asyncpg_url(uri: str) -> str:
    url = make_url(uri)
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def embedded_pgdata(settings: Settings) -> Path:
    return settings.data_dir / "pg"


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return to_asyncpg_url(settings.database_url)
    return start_embedded_postgres(embedded_pgdata(settings))


PGBOUNCER_PARAMETER = "pgbouncer"
"""`?pgbouncer=true` in DATABASE_URL: the database is reached through PgBouncer."""


def driver_arguments(url: str) -> tuple[URL, dict[str, Any]]:
    """The URL for the driver, and the driver's arguments it asks for.

    PgBouncer in transaction mode hands each transaction to whichever server
    connection is free, so a statement prepared on one is unknown on the next, and
    two clients' statements of the same name collide on one. With
    `?pgbouncer=true`, asyncpg keeps no statement cache (SQLAlchemy's and its own)
    and names each statement it must prepare uniquely, as SQLAlchemy's asyncpg
    documentation advises. The parameter is taken out of the URL: asyncpg would
    refuse it.
    """
    parsed = make_url(url)
    wanted = parsed.query.get(PGBOUNCER_PARAMETER)
    if wanted is None:
        return parsed, {}
    parsed = parsed.difference_update_query([PGBOUNCER_PARAMETER])
    if str(wanted).lower() not in ("true", "1", "yes", "on"):
        return parsed, {}
    return parsed, {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unique_statement_name,
    }


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def create_engine(
    url: str, *, pool_size: int = 10, pre_ping: bool = True, **options: Any
) -> AsyncEngine:
    """An engine on `url`; `options` go to SQLAlchemy (say, `poolclass=NullPool`).

    With `pre_ping`, connections are checked before use, so after the database
    restarts the pool replaces its dead connections by itself. Without it (the web
    app's engine, where the check is a round trip per request), the first request
    to meet a dead connection fails (503, `app.kit.middleware.DatabaseOutageGuard`)
    and SQLAlchemy discards every pooled connection as old as it, so the pool
    heals all the same.
    """
    driver_url, connect_args = driver_arguments(url)
    if options.get("poolclass") is None:
        options |= {"pool_size": pool_size, "max_overflow": pool_size}
    if connect_args:
        # Told by the URL (see `driver_arguments`): the hot path's statements, which
        # otherwise commit alone, then run in a transaction (`app.kit.db.driver`).
        options["execution_options"] = {BEHIND_PGBOUNCER: True}
    return create_async_engine(
        driver_url, pool_pre_ping=pre_ping, connect_args=connect_args, **options
    )


_SETTINGS = "settings"


def create_sessionmaker(
    bind: Any, *, settings: Settings | None = None, **options: Any
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `bind`, each carrying `settings` for the rules that need them deep in
    a change, such as an e-mail's links and sender (`session_settings`).

    `options` override the session defaults (the tests join an outer transaction).
    """
    defaults: dict[str, Any] = {"expire_on_commit": False, "autoflush": False}
    info = {_SETTINGS: settings} if settings is not None else {}
    return async_sessionmaker(bind, **(defaults | options), info=info)


def session_settings(session: AsyncSession) -> Settings:
    """The settings the session's maker was given (`create_sessionmaker(settings=...)`)."""
    settings = session.info.get(_SETTINGS)
    if not isinstance(settings, Settings):
        raise RuntimeError(
            "This session was made without the app's settings, which e-mails need: "
            "create its sessionmaker with create_sessionmaker(..., settings=settings)."
        )
    return settings


async def get_session(conn: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler succeeds, else rolled back.

    The transaction begins with the session's first statement, so a request that
    never uses it (a sign-up whose one statement commits alone,
    `app.kit.db.driver`) costs no BEGIN and no COMMIT. A commit that succeeds
    tells the app's outage log the database is answering.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = conn.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
        if session.in_transaction():
            await session.commit()
    conn.app.state.outage_log.answered()


async def flush_or_conflict(session: AsyncSession, conflict: str) -> None:
    """Flush the new rows; when a unique constraint refuses them, 409 `conflict`.

    The flush runs in a savepoint, so the refusal rolls back only that and the
    request's transaction stays usable (to audit, or to answer).
    """
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc
