"""The `rsvp` command, run as a real process against a database of its own."""

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.organisers.passwords import verify_password
from tests.fixtures.database import admin_execute, database_url, unique_database_name
from tests.fixtures.live_server import RSVP, free_port, served

# Every test runs `rsvp` as a process of its own (a fresh interpreter, often a server).
pytestmark = pytest.mark.slow

SIDE_EVENT = "local-government-migration-development-2013"
# An event data file; fill in `timezone` and `venue`.
EVENT = """
[[events]]
slug = "athens-roundtable"
title = "Athens round-table"
starts_at = 2013-10-03T09:00:00
ends_at = 2013-10-03T10:00:00
timezone = "{timezone}"
venue = "{venue}"
capacity = 30
"""


def event_file(timezone: str = "America/New_York", venue: str = "Conference Room 6") -> str:
    return EVENT.format(timezone=timezone, venue=venue)


@pytest.fixture
def cli_env(pg_server_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    name = unique_database_name("cli")
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(admin_execute(pg_server_url, drop, f'CREATE DATABASE "{name}"'))
    env = os.environ | {
        "DATABASE_URL": database_url(pg_server_url, name),
        "DATA_DIR": str(tmp_path / "data"),
    }
    yield env
    asyncio.run(admin_execute(pg_server_url, drop))


def rsvp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RSVP, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_migrate_then_seed_creates_the_side_event_once(cli_env: dict[str, str]) -> None:
    assert rsvp(cli_env, "migrate").returncode == 0
    first = rsvp(cli_env, "seed")
    assert first.returncode == 0, first.stderr
    assert f"[1/1] created {SIDE_EVENT}" in first.stdout
    second = rsvp(cli_env, "seed")
    assert f"[1/1] unchanged {SIDE_EVENT}" in second.stdout


def _sql(env: dict[str, str], query: str) -> object:
    async def run() -> object:
        url = make_url(env["DATABASE_URL"]).set(drivername="postgresql")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            return await conn.fetchval(query)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_seed_if_missing_leaves_an_existing_event_as_organisers_left_it(
    cli_env: dict[str, str],
) -> None:
    rsvp(cli_env, "migrate")
    first = rsvp(cli_env, "seed", "--if-missing")
    assert first.returncode == 0, first.stderr
    assert f"[1/1] created {SIDE_EVENT}" in first.stdout
    # An organiser's edit on the dashboard, then the container restarts.
    _sql(cli_env, "UPDATE events SET venue = 'Conference Room 4', capacity = 200")
    again = rsvp(cli_env, "seed", "--if-missing")
    assert again.returncode == 0, again.stderr
    assert f"[1/1] kept {SIDE_EVENT} as it is" in again.stdout
    assert _sql(cli_env, "SELECT venue || ' ' || capacity FROM events") == "Conference Room 4 200"


def test_plain_seed_updates_the_event_as_an_audited_edit(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rsvp(cli_env, "migrate")
    data = tmp_path / "events.toml"
    data.write_text(event_file())
    assert "created athens-roundtable" in rsvp(cli_env, "seed", str(data)).stdout
    data.write_text(event_file(venue="Conference Room 4"))
    result = rsvp(cli_env, "seed", str(data))
    assert result.returncode == 0, result.stderr
    assert "[1/1] updated athens-roundtable" in result.stdout
    assert _sql(cli_env, "SELECT venue FROM events") == "Conference Room 4"
    audited = "SELECT string_agg(actor || ' ' || action, ', ' ORDER BY id) FROM audit_entries"
    assert _sql(cli_env, audited) == "rsvp command event.create, rsvp command event.update"


def test_seed_reads_a_given_file_in_local_time(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "events.toml"
    data.write_text(event_file())
    rsvp(cli_env, "migrate")
    result = rsvp(cli_env, "seed", str(data))
    assert result.returncode == 0, result.stderr
    assert "created athens-roundtable" in result.stdout


def test_seed_with_a_bad_file_says_what_is_wrong(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "events.toml"
    data.write_text('[[events]]\nslug = "x"\n')
    result = rsvp(cli_env, "seed", str(data))
    assert result.returncode == 2
    assert "Could not read" in result.stderr
    assert "title" in result.stderr


@pytest.fixture
def seeded_env(cli_env: dict[str, str]) -> dict[str, str]:
    """`cli_env`, its database migrated and the bundled side-event created."""
    assert rsvp(cli_env, "migrate").returncode == 0
    assert rsvp(cli_env, "seed").returncode == 0
    return cli_env


def sign_up_the_mayor(base: str) -> httpx.Response:
    """Signs mayor@athens.example up for the bundled side-event, through the served API."""
    return httpx.post(
        f"{base}/api/events/{SIDE_EVENT}/registrations",
        json={
            "email": "mayor@athens.example",
            "given_name": "Giorgos",
            "family_name": "Kaminis",
            "organisation": "City of Athens",
            "affiliation_type": "local_government",
            "country": "GR",
            "has_un_grounds_pass": False,
            "consent": True,
        },
    )


def test_served_app_registers_reads_edits_and_cancels(seeded_env: dict[str, str]) -> None:
    with served(seeded_env) as base:
        assert httpx.get(base).headers["location"] == f"/events/{SIDE_EVENT}"
        created = sign_up_the_mayor(base)
        assert created.status_code == 201
        own = created.json()["manage_url"].replace("/r/", "/api/registrations/")
        assert httpx.get(own).json()["status"] == "confirmed"
        assert httpx.patch(own, json={"job_title": "Mayor"}).json()["job_title"] == "Mayor"
        assert httpx.post(f"{own}/cancel").json()["status"] == "cancelled"


def test_served_access_log_shows_requests_but_not_manage_tokens(
    seeded_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with served(seeded_env, log) as base:
        created = sign_up_the_mayor(base)
        manage_url = created.json()["manage_url"]
        token = manage_url.rsplit("/", 1)[1]
        assert httpx.get(manage_url).status_code == 200
        assert httpx.get(f"{base}/api/registrations/{token}/calendar.ics").status_code == 200
    logged = log.read_text()
    assert f'"POST /api/events/{SIDE_EVENT}/registrations HTTP/1.1" 201' in logged
    assert '"GET /r/[token] HTTP/1.1" 200' in logged
    assert '"GET /api/registrations/[token]/calendar.ics HTTP/1.1" 200' in logged
    assert token not in logged


def test_several_workers_log_the_apps_lines_with_time_and_level(
    seeded_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    # Without SMTP_URL the in-process sender saves each e-mail as a file, saying so at INFO.
    saved = re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO app\.mail\.transport: "
        r"mail to mayor@athens\.example, .*: saved as ",
        re.MULTILINE,
    )
    with served(seeded_env, log, ["--workers", "2"]) as base:
        created = sign_up_the_mayor(base)
        assert created.status_code == 201
        deadline = time.monotonic() + 60
        while not saved.search(log.read_text()):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    logged = log.read_text()
    assert "Started parent process" in logged  # two workers indeed
    assert len(re.findall(r"INFO app\.mail\.worker: e-mail worker started", logged)) == 2


def test_embedded_postgres_starts_with_the_app_and_stops_with_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DATA_DIR": str(tmp_path / "data"), "MAIL_WORKER_IN_PROCESS": "false"}
    pgdata = tmp_path / "data" / "pg"
    assert rsvp(env, "migrate").returncode == 0
    with served(env) as base:
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert (pgdata / "postmaster.pid").exists()
    # SIGTERM ends uvicorn by re-raising the signal, so no atexit hook runs: the
    # app itself must have stopped the server.
    assert not (pgdata / "postmaster.pid").exists()


def _password_hash(env: dict[str, str], email: str) -> str:
    async def fetch() -> str:
        url = make_url(env["DATABASE_URL"]).set(drivername="postgresql")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            return str(
                await conn.fetchval("SELECT password_hash FROM organisers WHERE email = $1", email)
            )
        finally:
            await conn.close()

    return asyncio.run(fetch())


def test_first_owner_is_created_once_with_a_password_shown_once(cli_env: dict[str, str]) -> None:
    rsvp(cli_env, "migrate")
    args = ["create-organiser", "--if-none", "--generate-password", "--role", "owner"]
    first = rsvp(cli_env, *args, "--email", "owner@jmdi.example")
    assert first.returncode == 0, first.stderr
    password = first.stdout.rsplit(": ", 1)[1].strip()
    assert verify_password(password, _password_hash(cli_env, "owner@jmdi.example"))
    second = rsvp(cli_env, *args, "--email", "other@jmdi.example")
    assert second.returncode == 0
    assert "exists already" in second.stdout
    assert "Password" not in second.stdout


def test_create_organiser_refuses_a_weak_password(cli_env: dict[str, str]) -> None:
    rsvp(cli_env, "migrate")
    result = rsvp(
        cli_env, "create-organiser", "--email", "staff@jmdi.example", "--role", "staff",
        "--password", "secret",
    )  # fmt: skip
    assert result.returncode == 1
    assert "at least 12" in result.stderr


def test_purge_says_what_it_would_delete_and_deletes_only_when_told(
    cli_env: dict[str, str],
) -> None:
    rsvp(cli_env, "migrate")
    rsvp(cli_env, "seed")
    dry = rsvp(cli_env, "purge", "--keep-days", "30", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"Events ended more than 30 days ago: {SIDE_EVENT}" in dry.stdout
    assert "Would delete: 0 registrations" in dry.stdout
    refused = subprocess.run(
        [*RSVP, "purge"], env=cli_env, input="n\n", capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1
    assert "Deleted" not in refused.stdout
    done = rsvp(cli_env, "purge", "--yes")
    assert done.returncode == 0
    assert "Deleted: 0 registrations" in done.stdout


# Failures told in one line


PASSWORD_IN_URL = "hunter2-in-the-url"
NEW_OWNER = ["create-organiser", "--email", "owner@jmdi.example", "--role", "owner"]


@pytest.fixture
def unreachable_env(tmp_path: Path) -> dict[str, str]:
    """DATABASE_URL at a closed port on loopback: nothing answers there."""
    port = free_port()
    return os.environ | {
        "DATABASE_URL": f"postgresql+asyncpg://rsvp:{PASSWORD_IN_URL}@127.0.0.1:{port}/rsvp_gone",
        "DATA_DIR": str(tmp_path / "data"),
        "MAIL_POLL_SECONDS": "0.1",
    }


def _where(env: dict[str, str]) -> str:
    url = make_url(env["DATABASE_URL"])
    return f"{url.username}@{url.host}:{url.port}/{url.database}"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["migrate"], id="migrate"),
        pytest.param(["seed"], id="seed"),
        pytest.param(["seed", "--if-missing"], id="seed --if-missing"),
        pytest.param([*NEW_OWNER, "--generate-password"], id="create-organiser"),
        pytest.param([*NEW_OWNER, "--if-none", "--generate-password"], id="--if-none"),
        pytest.param(["purge", "--yes"], id="purge"),
        pytest.param(["purge", "--dry-run"], id="purge --dry-run"),
    ],
)
def test_an_unreachable_database_is_one_clear_line_and_status_1(
    unreachable_env: dict[str, str], args: list[str]
) -> None:
    result = rsvp(unreachable_env, *args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"Could not connect to the database {_where(unreachable_env)}: ")
    assert "connection refused" in line
    assert "Check DATABASE_URL" in line
    assert PASSWORD_IN_URL not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_verbose_adds_the_traceback_to_the_line(unreachable_env: dict[str, str]) -> None:
    result = rsvp(unreachable_env, "-v", "migrate")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConnectionRefusedError" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Could not connect to the database {_where(unreachable_env)}")
    assert PASSWORD_IN_URL not in result.stderr


def test_seed_before_migrate_says_to_migrate(cli_env: dict[str, str]) -> None:
    result = rsvp(cli_env, "seed")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "has no tables yet" in result.stderr
    assert "Run `rsvp migrate` first." in result.stderr


def test_a_database_that_does_not_exist_is_named(cli_env: dict[str, str]) -> None:
    env = cli_env | {
        "DATABASE_URL": make_url(cli_env["DATABASE_URL"])
        .set(database="rsvp_never_created")
        .render_as_string(hide_password=False)
    }
    result = rsvp(env, "migrate")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "/rsvp_never_created does not exist" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_migrate_says_where_the_schema_is_without_alembic_chatter(
    cli_env: dict[str, str],
) -> None:
    result = rsvp(cli_env, "migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Database schema is at head."
    assert "alembic" not in result.stderr
    assert "Context impl" not in result.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        pytest.param(
            event_file(timezone="Mars/Olympus_Mons"),
            "event 1 (athens-roundtable): timezone: unknown IANA time zone 'Mars/Olympus_Mons'",
            id="unknown time zone",
        ),
        pytest.param(
            event_file(timezone="../../etc/passwd"),
            "event 1 (athens-roundtable): timezone: unknown IANA time zone",
            id="a path for a time zone",
        ),
        pytest.param(
            "events = [1, 2]\n",
            "event 1: expected an [[events]] table of fields, not 1",
            id="events not tables",
        ),
        pytest.param(
            event_file() + '\n[[events]]\nslug = "second"\n',
            "event 2 (second): title: Field required",
            id="second event incomplete",
        ),
        pytest.param("events = \n", "not valid TOML", id="not TOML"),
    ],
)
def test_seed_with_a_bad_file_names_the_event_and_field(
    unreachable_env: dict[str, str], tmp_path: Path, content: str, said: str
) -> None:
    # The file is read before the database is needed: this one is unreachable.
    data = tmp_path / "events.toml"
    data.write_text(content)
    result = rsvp(unreachable_env, "seed", str(data))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Could not read {data}: ")
    assert said in result.stderr


def test_create_organiser_checks_the_address_before_anything_else(
    unreachable_env: dict[str, str],
) -> None:
    result = subprocess.run(
        [*RSVP, "create-organiser", "--email", "not-an-address", "--role", "owner"],
        env=unreachable_env,
        input="a password typed in\n" * 4,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "not an e-mail address" in result.stderr
    assert "Password" not in result.stdout + result.stderr  # never asked for
    assert "Could not connect" not in result.stderr  # nor the database tried


def test_create_organiser_checks_a_given_password_before_the_database(
    unreachable_env: dict[str, str],
) -> None:
    result = rsvp(
        unreachable_env, "create-organiser", "--email", "staff@jmdi.example", "--role", "staff",
        "--password", "secret",
    )  # fmt: skip
    assert result.returncode == 1
    assert "at least 12" in result.stderr
    assert "Could not connect" not in result.stderr


def test_worker_without_its_database_backs_off_and_logs_one_line_per_failure(
    unreachable_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen([*RSVP, "worker"], env=unreachable_env, stderr=sink)
        try:
            deadline = time.monotonic() + 60
            while "poll failed" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            time.sleep(3)  # a poll each 0.1 s would fail some 30 times meanwhile
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
    lines = log.read_text().splitlines()
    failures = [line for line in lines if "poll failed" in line]
    assert 3 <= len(failures) <= 7, lines
    waits = [float(re.search(r"next try in ([\d.]+) s", line)[1]) for line in failures]  # type: ignore[index]
    assert waits == pytest.approx([0.1 * 2**n for n in range(len(waits))]), waits
    for n, line in enumerate(failures, start=1):
        assert f"({n} in a row;" in line
        assert f"Could not connect to the database {_where(unreachable_env)}" in line
    assert "Traceback" not in log.read_text()
    assert PASSWORD_IN_URL not in log.read_text()
    assert lines[-1].endswith("e-mail worker stopped")
