"""Database failures: each told in one line, and outages answered and logged in a few.

One line: what failed, where (never the password), what to check (`explain`). The
`rsvp` command prints it and exits 1 rather than a page of traceback; the e-mail
worker logs it once per failed poll; `wait_for_database` once per try.

An outage: while PostgreSQL is down or restarting, every request that needs it fails
the same way (`outage_kind`). Such a failure is no bug of ours: the client is answered
503 `not_ready` with `Retry-After` (see `app.kit.middleware.DatabaseOutageGuard`), and
the log (`OutageLog`) gets one line when a kind of failure first appears, a count
every SUMMARY_SECONDS while it lasts and one line when the database answers again:
never a traceback per request. A process that starts while the database is away
waits for it (`wait_for_database`), saying so in one line per try.
"""

import asyncio
import errno
import logging
import re
import socket
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_URL = "Check DATABASE_URL and that PostgreSQL is running and reachable there."


def database_label(url: str | URL) -> str:
    """`user@host:port/database`, without the password (a socket folder stands for the host)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unreadable DATABASE_URL)"
    host: object = parsed.host or parsed.query.get("host") or "localhost"
    if isinstance(host, tuple):  # a query parameter given more than once
        host = ",".join(host)
    port = f":{parsed.port}" if parsed.port else ""
    user = f"{parsed.username}@" if parsed.username else ""
    return f"{user}{host}{port}/{parsed.database or ''}"


def _raised_by_the_driver(exc: BaseException) -> bool:
    """Whether the error came from inside asyncpg: connecting, not anything else we do."""
    return any(
        "asyncpg" in Path(frame.f_code.co_filename).parts
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    # asyncpg tries each address of a name (::1, 127.0.0.1) and may fail on them all.
    refused = f"[Errno {errno.ECONNREFUSED}] "
    if isinstance(exc, ConnectionRefusedError) or str(exc).startswith(
        f"Multiple exceptions: {refused}"
    ):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    text = exc.strerror if exc.strerror and not exc.filename else str(exc)
    return re.sub(r"^\[Errno -?\d+\] ", "", text) or type(exc).__name__


def _sqlstate(exc: BaseException) -> str | None:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _db_reason(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    cause = getattr(orig, "__cause__", None)
    text = str(cause if cause is not None and getattr(cause, "sqlstate", None) else orig)
    first = text.strip().splitlines()[0] if text.strip() else type(orig).__name__
    return re.sub(r"^<class '[\w.]+'>: ", "", first)


def explain(exc: BaseException, url: str | URL) -> str | None:
    """One line for a database failure, or None when `exc` is not one."""
    where = database_label(url)
    if isinstance(exc, OSError) and _raised_by_the_driver(exc):
        return f"Could not connect to the database {where}: {_os_reason(exc)}. {CHECK_URL}"
    state = _sqlstate(exc)
    if state is None and not isinstance(exc, DBAPIError):
        return None
    reason = _db_reason(exc)
    if state is not None:
        if state.startswith("28"):  # invalid authorisation
            return (
                f"The database {where} refused the sign-in: {reason}. "
                "Check the user name and password in DATABASE_URL."
            )
        if state == "3D000":  # no such database
            return (
                f"The database {where} does not exist: {reason}. "
                "Create it, or correct the database name in DATABASE_URL."
            )
        if state.startswith(("08", "53", "57P")):  # connection, resources, shutting down
            return f"Could not connect to the database {where}: {reason}. {CHECK_URL}"
        if state == "42P01":  # undefined table
            return f"The database {where} has no tables yet ({reason}). Run `rsvp migrate` first."
    return f"Database error on {where}: {reason}."


log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
"""What a 503 tells the client to wait: about as long as PostgreSQL takes to restart."""
SUMMARY_SECONDS = 10.0

# SQLSTATE classes meaning "no connection to work with": 08 connection exception,
# 57P admin/crash shutdown or cannot connect now; 53300 too many connections.
_UNAVAILABLE_STATES = ("08", "57P", "53300")


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, what SQLAlchemy wrapped (`orig`) and the causes, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def outage_kind(exc: BaseException) -> str | None:
    """The name of the connection failure behind `exc`, or None when it is not one.

    A failure to reach the database (refused, reset, timed out, the server starting
    up or shutting down, a connection that died mid-query, no pooled connection
    free in time) is one; an error in a query the database ran is not.
    """
    chain = _chain(exc)
    invalidated = any(isinstance(e, DBAPIError) and e.connection_invalidated for e in chain)
    for cause in reversed(chain):  # the innermost says best what happened
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return type(cause).__name__
        if isinstance(cause, OSError) and _raised_by_the_driver(cause):
            return type(cause).__name__
        if isinstance(cause, PoolTimeout):
            return "PoolTimeout"
    return type(chain[-1]).__name__ if invalidated else None


class OutageLog:
    """Counts the requests answered 503 and logs them in a few lines.

    `failed(kind)` for each such request; `answered()` whenever the database has
    answered one, which ends an outage. The summary is written by the next call
    after SUMMARY_SECONDS, so a quiet service writes nothing.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None  # when the current outage began
        self._told: set[str] = set()
        self._pending: Counter[str] = Counter()  # since the last line
        self._total = 0
        self._last_line = 0.0

    @property
    def in_outage(self) -> bool:
        return self._since is not None

    def failed(self, kind: str) -> None:
        now = self._clock()
        if self._since is None:
            self._since = self._last_line = now
        self._total += 1
        if kind not in self._told:
            self._told.add(kind)
            log.warning(
                "database unavailable (%s): answering 503 with Retry-After: %d",
                kind,
                RETRY_AFTER_SECONDS,
            )
            self._last_line = now
            return
        self._pending[kind] += 1
        if now - self._last_line >= SUMMARY_SECONDS:
            log.warning(
                "database still unavailable after %.0f s: %d more requests answered 503 (%s)",
                now - self._since,
                self._pending.total(),
                _counts(self._pending),
            )
            self._pending.clear()
            self._last_line = now

    def answered(self) -> None:
        if self._since is None:
            return
        log.info(
            "database available again after %.1f s; %d requests were answered 503 meanwhile",
            self._clock() - self._since,
            self._total,
        )
        self._since = None
        self._told.clear()
        self._pending.clear()
        self._total = 0


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counter.most_common())


# A process that cannot reach the database tries again after `first` seconds, then
# twice that, and so on up to MAX_BACKOFF_SECONDS, logging one line per failure.
MAX_BACKOFF_SECONDS = 60.0
START_RETRY_SECONDS = 0.5
START_MAX_BACKOFF_SECONDS = 10.0


def backoff_seconds(failures: int, *, first: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """How long to wait after `failures` tries in a row have failed (1, 2, 3 ...).

    A `first` wait longer than `cap` is never shortened.
    """
    return min(first * 2.0 ** min(failures - 1, 30), max(cap, first))


async def wait_for_database(engine: AsyncEngine) -> None:
    """Return once the database answers; until then, one line per failed try.

    Any failure `app.kit.db_errors.explain` can tell (unreachable, starting up, a refused
    sign-in, a database not created yet) is waited out: the database, or whoever
    sets it up, may yet come. Any other fault is a bug and raises.
    """
    failures = 0
    while True:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            told = explain(exc, engine.url)
            if told is None:
                raise
            failures += 1
            delay = backoff_seconds(
                failures, first=START_RETRY_SECONDS, cap=START_MAX_BACKOFF_SECONDS
            )
            log.warning("%s Waiting for it (try %d; next in %.3g s).", told, failures, delay)
            log.debug("the failure's traceback", exc_info=True)
            await asyncio.sleep(delay)
            continue
        if failures:
            log.info("the database answers (after %d failed tries); starting", failures)
        return
