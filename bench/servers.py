"""The processes under test, started as an operator would: `rsvp serve`, `rsvp worker`,
uvicorn for the bare stack, and a local SMTP sink, each on a free loopback port.
"""

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.postgres import Postgres
from bench.processes import Processes, Started, free_port, http_ok, port_open, wait_until

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RSVP = str(BIN / "rsvp")
START_SECONDS = 60.0

# The event every benchmark signs people up to: seats for everyone pre-filled and
# more, the waitlist on anyway, no per-organisation limit, open now.
EVENT_SLUG = "bench-event"
EVENT_TOML = f"""
[[events]]
slug = "{EVENT_SLUG}"
title = "Benchmark side-event"
starts_at = 2030-10-04T13:15:00
ends_at = 2030-10-04T14:45:00
timezone = "America/New_York"
venue = "Conference Room 6, United Nations Headquarters, New York"
capacity = 1000000
waitlist_enabled = true
approval_required = false
languages = ["en"]
organisers = ["Benchmark office"]
"""
ORGANISER_EMAIL = "bench-owner@example.org"


@dataclass
class Server:
    """An HTTP server under test."""

    process: Started
    base_url: str
    workers: int


@dataclass
class BenchRun:
    """What every benchmark gets: the database server, the process starter, and a
    folder for data and logs that is deleted at the end."""

    pg: Postgres
    processes: Processes
    folder: Path
    organiser_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    def app_env(self, database: str, **extra: str) -> dict[str, str]:
        """The app's settings for `database`: no rate limits, mail left to `rsvp worker`."""
        data = self.folder / f"data-{database}"
        data.mkdir(exist_ok=True)
        return {
            "DATABASE_URL": self.pg.app_url(database),
            "DATA_DIR": str(data),
            "SECRET_KEY": "bench-" + "k" * 40,
            "RATE_LIMIT_ENABLED": "false",
            "MAIL_WORKER_IN_PROCESS": "false",
            **extra,
        }

    def rsvp(self, database: str, *args: str) -> str:
        """Runs one `rsvp` command to completion; returns its output."""
        done = subprocess.run(
            [RSVP, *args],
            cwd=self.folder,
            env={**self.processes.env, **self.app_env(database)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rsvp {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def prepare_template(self, database: str) -> None:
        """Migrates `database`, seeds the bench event and creates an owner account."""
        self.pg.execute("postgres", f'CREATE DATABASE "{database}"')
        events = self.folder / "bench-events.toml"
        events.write_text(EVENT_TOML)
        self.rsvp(database, "migrate")
        self.rsvp(database, "seed", str(events))
        self.rsvp(
            database,
            "create-organiser",
            "--email",
            ORGANISER_EMAIL,
            "--role",
            "owner",
            "--password",
            self.organiser_password,
        )

    @contextmanager
    def service(self, database: str, *, workers: int = 1) -> Iterator[Server]:
        """`rsvp serve --workers N` on a free port."""
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        argv = [RSVP, "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(workers)]
        env = self.app_env(database, BASE_URL=base_url)
        with self.processes.running_one(f"rsvp-serve-{database}", argv, env) as started:
            yield _ready(Server(started, base_url, workers))

    @contextmanager
    def bare_stack(self, database: str, *, workers: int = 1) -> Iterator[Server]:
        """bench/bare_stack.py under uvicorn, as `rsvp serve` runs the app."""
        port = free_port()
        argv = [str(BIN / "python"), "-m", "uvicorn", "bench.bare_stack:create_app"]
        argv += ["--factory", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(workers)]
        env = {"BARE_DATABASE_URL": self.pg.app_url(database)}
        with self.processes.running_one(f"bare-stack-{database}", argv, env) as started:
            yield _ready(Server(started, f"http://127.0.0.1:{port}", workers))

    @contextmanager
    def smtp_sink(self) -> Iterator[int]:
        """aiosmtpd, accepting and dropping every message; yields its port."""
        port = free_port()
        argv = [str(BIN / "python"), "-m", "aiosmtpd", "-n", "-u"]
        argv += ["-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"]
        with self.processes.running_one("smtp-sink", argv) as started:
            wait_until(
                lambda: started.running() and port_open(port),
                timeout=START_SECONDS,
                what="the SMTP sink listening",
            )
            yield port

    def mail_worker(self, database: str, smtp_port: int) -> Started:
        """One `rsvp worker` sending to the local SMTP sink (stopped with the rest)."""
        env = self.app_env(
            database, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_POLL_SECONDS="0.2"
        )
        return self.processes.start(f"rsvp-worker-{database}", [RSVP, "worker"], env)

    def organiser_token(self, server: Server) -> str:
        """Signs the bench's owner in over HTTP (POST /api/auth/token)."""
        response = httpx.post(
            f"{server.base_url}/api/auth/token",
            data={"username": ORGANISER_EMAIL, "password": self.organiser_password},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _ready(server: Server) -> Server:
    """Waits for /healthz, then for all of uvicorn's worker processes to be up."""
    wait_until(
        lambda: server.process.running() and http_ok(f"{server.base_url}/healthz"),
        timeout=START_SECONDS,
        what=f"{server.process.name} answering /healthz",
    )
    if server.workers > 1:
        # Each worker logs "Application startup complete." once it serves.
        wait_until(
            lambda: (
                server.process.log.read_text(errors="replace").count("startup complete")
                >= server.workers
            ),
            timeout=START_SECONDS,
            what=f"{server.workers} workers of {server.process.name} started",
        )
    return server
