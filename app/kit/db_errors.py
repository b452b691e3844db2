"""Database failures told in one line: what failed, where (never the password), what to check.

Used by the `rsvp` command, which prints the line and exits 1 rather than a page of
traceback, and by the e-mail worker, which logs it once per failed poll.
"""

import errno
import re
import socket
import traceback
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

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
