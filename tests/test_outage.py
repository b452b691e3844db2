"""The database away: 503 `not_ready` with Retry-After, a few log lines, recovery by itself."""

import asyncio
import itertools
import logging
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]  # pgserver's dependency; no stubs
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.events.seed import seed_event
from app.kit.db import (
    _embedded_servers,
    create_engine,
    create_sessionmaker,
    release_embedded_postgres,
    start_embedded_postgres,
)
from app.kit.db_errors import RETRY_AFTER_SECONDS, OutageLog
from app.migrations import upgrade
from app.models import Registration
from tests.fixtures.app import BASE_URL
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.live_server import free_port, served, starting, wait_until_ready


@pytest.fixture
async def gone_engine() -> AsyncIterator[AsyncEngine]:
    """An engine whose database is a closed port on loopback: nothing answers there."""
    engine = create_engine(
        f"postgresql+asyncpg://rsvp:pw@127.0.0.1:{free_port()}/gone", pool_size=2
    )
    yield engine
    await engine.dispose()


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.kit.db_errors"]


async def test_api_and_pages_answer_503_with_retry_after_and_log_once(
    app: Any,
    event: object,
    gone_engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app.state.sessionmaker = create_sessionmaker(gone_engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        signups = [
            await client.post("/api/events/side-event/registrations", json=signup_body())
            for _ in range(5)
        ]
        read = await client.get("/api/events/side-event")
        page = await client.get("/events/side-event", headers={"Accept-Language": "fr"})

        for response in [*signups, read]:
            assert response.status_code == 503
            assert response.json() == {
                "detail": "The database is not answering; please try again shortly.",
                "code": "not_ready",
            }
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert "Le service est momentanément indisponible" in page.text
        assert '<html lang="fr"' in page.text

        assert outage_lines(caplog) == [
            "database unavailable (ConnectionRefusedError): answering 503 with Retry-After: 5"
        ]
        assert not any(r.exc_info for r in caplog.records)

        app.state.sessionmaker = sessionmaker  # the database is back
        assert (await client.get("/api/events/side-event")).status_code == 200
    recovered = outage_lines(caplog)[1:]
    assert len(recovered) == 1
    assert recovered[0].startswith("database available again after ")
    assert recovered[0].endswith("; 7 requests were answered 503 meanwhile")


def test_a_long_outage_is_a_line_per_kind_a_count_every_interval_and_a_line_at_the_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.kit.db_errors")
    now = [100.0]
    outage = OutageLog(clock=lambda: now[0])
    for second in range(25):  # three failed requests a second, for 25 s
        now[0] = 100.0 + second
        outage.failed("ConnectionRefusedError")
        outage.failed("ConnectionRefusedError")
        outage.failed("CannotConnectNowError" if second >= 12 else "ConnectionRefusedError")
    outage.answered()
    outage.answered()  # nothing more to say
    assert outage_lines(caplog) == [
        "database unavailable (ConnectionRefusedError): answering 503 with Retry-After: 5",
        "database still unavailable after 10 s: 30 more requests answered 503 "
        "(ConnectionRefusedError 30)",
        "database unavailable (CannotConnectNowError): answering 503 with Retry-After: 5",
        "database still unavailable after 22 s: 35 more requests answered 503 "
        "(ConnectionRefusedError 26, CannotConnectNowError 9)",
        "database available again after 24.0 s; 75 requests were answered 503 meanwhile",
    ]


@dataclass
class OwnPostgres:
    """An embedded PostgreSQL of the test's own, which the test may kill and restart."""

    pgdata: Path
    url: str  # to the migrated database "rsvp"

    def kill(self) -> None:
        """SIGKILL the postmaster, as an OOM killer or a crashed host would; return once
        its backends have gone too (they end when they see the postmaster gone)."""
        pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        backends = postmaster.children()
        postmaster.kill()
        _, alive = psutil.wait_procs([postmaster, *backends], timeout=60)
        assert not alive, f"still running after the postmaster was killed: {alive}"

    def restart(self) -> None:
        server = _embedded_servers[self.pgdata.resolve()]
        with server._lock:
            server.ensure_postgres_running()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    # A folder of its own, not under pytest's basetemp (see tests/fixtures/database.py).
    folder = Path(tempfile.mkdtemp(prefix="rsvp-test-pg-"))
    pgdata = folder / "pg"
    try:
        url = start_embedded_postgres(pgdata, database="rsvp")
        upgrade(url)
        yield OwnPostgres(pgdata=pgdata, url=url)
    finally:
        release_embedded_postgres(pgdata)
        shutil.rmtree(folder, ignore_errors=True)


async def _seed(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_event(session, event_fields(capacity=100_000), now=datetime.now(UTC))
    finally:
        await engine.dispose()


async def _stored_emails(url: str) -> set[str]:
    engine = create_engine(url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session:
            return set(await session.scalars(select(Registration.email)))
    finally:
        await engine.dispose()


@dataclass
class Load:
    """Sign-ups sent without pause by a few clients at once, and what came back."""

    base: str
    answers: list[tuple[str, int, str | None]] = field(default_factory=list)
    """(e-mail, status, Retry-After) of each answer, in order."""
    dropped: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, number: int) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                email = f"c{number}-{n}@example.org"
                try:
                    response = await client.post(
                        "/api/events/side-event/registrations", json=signup_body(email=email)
                    )
                except httpx.TransportError as exc:
                    self.dropped.append(f"{email}: {exc!r}")
                    continue
                self.answers.append(
                    (email, response.status_code, response.headers.get("Retry-After"))
                )

    def count(self, status: int, *, since: int = 0) -> int:
        return sum(answer[1] == status for answer in self.answers[since:])

    async def until(self, status: int, times: int, *, since: int = 0) -> None:
        deadline = asyncio.get_running_loop().time() + 120
        while self.count(status, since=since) < times:
            assert asyncio.get_running_loop().time() < deadline, Counter(
                a[1] for a in self.answers[since:]
            )
            await asyncio.sleep(0.02)


# Lines there are one of per request or per e-mail, whatever the database does: the
# access log, and the in-process sender's note of each e-mail (saved as a file here).
PER_REQUEST_LINE = re.compile(r'"[A-Z]+ \S+ HTTP/1\.1" \d{3}| INFO app\.mail\.transport: mail to ')


@pytest.mark.slow
async def test_postgres_killed_and_restarted_under_load_is_503s_then_201s_again(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    await _seed(own_postgres.url)
    env = os.environ | {
        "DATABASE_URL": own_postgres.url,
        "DATA_DIR": str(tmp_path / "data"),
        # Sign-ups from one address at this rate are what the rate limits stop.
        "RATE_LIMIT_ENABLED": "false",
    }
    log = tmp_path / "serve.log"
    with served(env, log) as base:
        load = Load(base)
        clients = [asyncio.create_task(load.client(n)) for n in range(8)]
        try:
            await load.until(201, 20)
            await asyncio.to_thread(own_postgres.kill)
            killed = len(load.answers)
            await load.until(503, 50, since=killed)
            await asyncio.to_thread(own_postgres.restart)
            restarted = len(load.answers)
            await load.until(201, 50, since=restarted)
        finally:
            load.stop.set()
            await asyncio.gather(*clients)

    assert load.dropped == []
    assert Counter(a[1] for a in load.answers).keys() <= {201, 503}
    assert all(retry == "5" for _, status, retry in load.answers if status == 503)
    acknowledged = {email for email, status, _ in load.answers if status == 201}
    assert acknowledged <= await _stored_emails(own_postgres.url)

    logged = log.read_text()
    assert "Traceback" not in logged
    assert "database unavailable (" in logged
    assert "database available again after " in logged
    own_lines = [line for line in logged.splitlines() if not PER_REQUEST_LINE.search(line)]
    assert len(own_lines) <= 30, own_lines


@pytest.mark.slow
def test_serve_started_while_the_database_is_down_waits_for_it_one_line_a_try(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    asyncio.run(_seed(own_postgres.url))
    own_postgres.kill()
    env = os.environ | {"DATABASE_URL": own_postgres.url, "DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "serve.log"

    def waits() -> list[str]:
        return [line for line in log.read_text().splitlines() if "Waiting for it" in line]

    with starting(env, log) as base:
        deadline = time.monotonic() + 60
        while len(waits()) < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        own_postgres.restart()
        wait_until_ready(base)
        created = httpx.post(
            f"{base}/api/events/side-event/registrations", json=signup_body(), timeout=30
        )
        assert created.status_code == 201

    logged = log.read_text()
    assert "Traceback" not in logged
    where = f"postgres@{own_postgres.pgdata.resolve()}/rsvp"
    # Refused while it is down; then, it may be, "the database system is starting up".
    assert all("connection refused" in line for line in waits()[:2])
    for number, line in enumerate(waits(), start=1):
        assert f"WARNING app.kit.db_errors: Could not connect to the database {where}: " in line
        assert line.endswith(
            f"Waiting for it (try {number}; next in {0.5 * 2 ** (number - 1):.3g} s)."
        )
    assert f"the database answers (after {len(waits())} failed tries); starting" in logged
    # It waited before serving: no request was answered while it could not.
    assert logged.index("the database answers") < logged.index("Uvicorn running on")
