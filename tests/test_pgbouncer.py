"""Through PgBouncer in transaction mode, as production often is: `?pgbouncer=true`.

PgBouncer (Debian's package) runs in front of the test server with a pool of a
few server connections, so that client transactions share them, and with no
prepared-statement support of its own (1.18): what breaks asyncpg's cached, named
statements unless the app is told it is behind PgBouncer.
"""

import asyncio
import csv
import io
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.mail.transport import transport_for
from app.mail.worker import deliver_due
from app.main import create_app
from app.migrations import upgrade
from app.models import Organiser, OrganiserRole
from app.organisers.bearer import issue_token
from app.organisers.passwords import hash_password
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.database import admin_execute, database_url, unique_database_name
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.live_server import free_port
from tests.fixtures.mail import SmtpServer
from tests.test_concurrency import sign_up_200_for_50_seats
from tests.test_mail_workers import fill_outbox

SERVER_CONNECTIONS = 3


def pgbouncer_binary() -> str:
    """PgBouncer's program; missing, the tests skip locally and fail under CI."""
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(found, os.X_OK):
        reason = "the PgBouncer tests need pgbouncer (apt-get install pgbouncer): see .ci/run"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@dataclass(frozen=True)
class PgBouncer:
    host: str
    port: int

    def url(self, direct_url: str, *, told: bool = True) -> str:
        """`direct_url`'s database through PgBouncer (with `?pgbouncer=true` if `told`)."""
        direct = make_url(direct_url)
        query = {"pgbouncer": "true"} if told else {}
        return direct.set(host=self.host, port=self.port, query=query).render_as_string(
            hide_password=False
        )


def _run_as() -> list[str]:
    """PgBouncer refuses to run as root: then it runs as pgserver's user, who may open
    the embedded server's socket (or as nobody, for a server elsewhere)."""
    if os.geteuid() != 0:
        return []
    try:
        return ["-u", pwd.getpwnam("pgserver").pw_name]
    except KeyError:
        return ["-u", "nobody"]


@pytest.fixture(scope="module")
def pgbouncer(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgBouncer]:
    """PgBouncer on a free loopback port, pool_mode=transaction, in front of the test server."""
    binary = pgbouncer_binary()
    server = make_url(pg_server_url)
    host = server.query.get("host") or server.host or "127.0.0.1"
    target = f"host={host} port={server.port or 5432} user={server.username or 'postgres'}"
    if server.password:
        target += f" password={server.password}"
    folder = tmp_path_factory.mktemp("pgbouncer")
    port = free_port()
    config = folder / "pgbouncer.ini"
    config.write_text(
        f"""\
[databases]
* = {target}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
"""
    )
    log = folder / "pgbouncer.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([binary, *_run_as(), str(config)], stderr=sink, stdout=sink)
        try:
            _wait_until_listening(port, process, log)
            yield PgBouncer(host="127.0.0.1", port=port)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"pgbouncer exited: {log.read_text()}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"pgbouncer is not listening: {log.read_text()}"
            time.sleep(0.05)


@pytest.fixture
async def database(make_database: Callable[[], Awaitable[str]]) -> str:
    """A migrated database of the test's own (its direct URL)."""
    return await make_database()


@pytest.fixture
async def app_through_pgbouncer(
    database: str, pgbouncer: PgBouncer, settings: Settings, clock: FakeClock
) -> AsyncIterator[Any]:
    engine = create_engine(pgbouncer.url(database), pool_size=10)
    app = create_app(settings, clock=clock)
    app.state.sessionmaker = create_sessionmaker(engine, settings=settings)
    yield app
    await engine.dispose()


@pytest.mark.parametrize("told", [False, True], ids=["not told", "?pgbouncer=true"])
async def test_a_statement_run_again_on_another_server_connection(
    database: str, pgbouncer: PgBouncer, told: bool
) -> None:
    # PgBouncer hands the connection it got back last to the next transaction, so
    # while `holder` keeps that one, the client's next transaction gets another:
    # where a statement it prepared and cached before does not exist.
    engine = create_engine(pgbouncer.url(database, told=told), pool_size=1)
    holder = create_engine(pgbouncer.url(database), pool_size=1)
    query = text("SELECT count(*) FROM events")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(query) == 0
        async with holder.connect() as held:
            await held.execute(text("SELECT 1"))  # in a transaction, until the block ends
            async with engine.connect() as connection:
                if told:
                    assert await connection.scalar(query) == 0
                else:
                    with pytest.raises(DBAPIError, match=r"prepared statement .* does not exist"):
                        await connection.scalar(query)
    finally:
        await engine.dispose()
        await holder.dispose()


@pytest.mark.slow
async def test_200_signups_for_50_seats_through_pgbouncer_never_overbook(
    app_through_pgbouncer: Any, clock: FakeClock
) -> None:
    await sign_up_200_for_50_seats(app_through_pgbouncer, clock)


async def test_csv_export_streams_from_its_cursor_through_pgbouncer(
    app_through_pgbouncer: Any, clock: FakeClock
) -> None:
    sessionmaker = app_through_pgbouncer.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(), now=clock.now())
        viewer = Organiser(
            email="viewer@jmdi.example",
            role=OrganiserRole.viewer,
            password_hash=hash_password("correct horse battery staple"),
            created_at=clock.now(),
        )
        session.add(viewer)
        await session.flush()
        issued = await issue_token(
            session, organiser=viewer, now=clock.now(), lifetime=timedelta(hours=1)
        )
    transport = httpx.ASGITransport(app=app_through_pgbouncer)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
        emails = [f"person{n}@example.org" for n in range(30)]
        for email in emails:
            signed_up = await client.post(
                "/api/events/side-event/registrations", json=signup_body(email=email)
            )
            assert signed_up.status_code == 201
        exported = await client.get(
            "/api/admin/events/side-event/registrations.csv",
            params={"columns": "email"},
            headers={"Authorization": f"Bearer {issued.token}"},
        )
    assert exported.status_code == 200
    rows = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline=""))
    assert sorted(row["email"] for row in rows) == sorted(emails)


async def test_mail_worker_sends_each_queued_message_once_through_pgbouncer(
    database: str, pgbouncer: PgBouncer, smtp_server: SmtpServer, settings: Settings
) -> None:
    url = pgbouncer.url(database)
    message_ids = await fill_outbox(url, 40)
    engine = create_engine(url, pool_size=2)
    mail_settings = settings.model_copy(update={"smtp_url": smtp_server.url})
    clock = FakeClock(datetime.now(UTC))
    try:
        sessionmaker = create_sessionmaker(engine)
        transport = transport_for(mail_settings)
        while await deliver_due(sessionmaker, transport, settings=mail_settings, clock=clock):
            pass
    finally:
        await engine.dispose()
    assert sorted(smtp_server.handler.message_ids()) == sorted(message_ids)


def test_migrations_run_through_pgbouncer(pg_server_url: str, pgbouncer: PgBouncer) -> None:
    name = unique_database_name("pgbouncer_migrations")
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(admin_execute(pg_server_url, drop, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(pgbouncer.url(database_url(pg_server_url, name)))
    finally:
        asyncio.run(admin_execute(pg_server_url, drop))
