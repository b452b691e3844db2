"""The `rsvp` command.

A failure it can explain (the database unreachable, a bad setting) is one line on
standard error and exit status 1; `rsvp -v ...` adds the traceback.
"""

import asyncio
import logging
import sys
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.kit.db import (
    create_engine,
    create_sessionmaker,
    embedded_pgdata,
    start_embedded_postgres,
    to_asyncpg_url,
)
from app.kit.db_errors import explain, wait_for_database
from app.kit.errors import validation_problems
from app.models import OrganiserRole
from app.serve_logging import (
    APP_FORMAT,
    CHATTY_LIBRARIES,
    app_level,
    library_level,
    serve_log_config,
)

cli = typer.Typer(
    help="Registration and RSVP service for UN side-events.",
    no_args_is_help=True,
    add_completion=False,
    # Never print local variables: they hold DATABASE_URL, passwords, SECRET_KEY.
    pretty_exceptions_show_locals=False,
)


class CommandFailed(Exception):
    """A failure already told in one line (the cause, if any, is the traceback of -v)."""


@dataclass
class _Run:
    verbose: bool = False
    database_url: str | None = None


_run = _Run()


@cli.callback()
def _setup(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging, and tracebacks of failures.")
    ] = False,
) -> None:
    _run.verbose = verbose
    logging.basicConfig(level=app_level(verbose=verbose), format=APP_FORMAT)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(library_level(verbose=verbose))


def _database_url() -> str:
    """DATABASE_URL (for asyncpg), or the embedded server's, started now if need be."""
    settings = get_settings()
    if settings.database_url:
        try:
            url = to_asyncpg_url(settings.database_url)
        except ArgumentError as exc:
            raise CommandFailed(
                "DATABASE_URL is not a database URL; it should look like "
                "postgresql+asyncpg://user:password@host:5432/database."
            ) from exc
    else:
        pgdata = embedded_pgdata(settings)
        try:
            url = start_embedded_postgres(pgdata)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandFailed(
                f"Could not start the embedded PostgreSQL in {pgdata}: {reason}. Check that "
                "DATA_DIR is writable and has room, or set DATABASE_URL to a PostgreSQL server."
            ) from exc
    _run.database_url = url
    return url


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    """A session on the configured database, for one command."""
    engine = create_engine(_database_url(), pool_size=1)
    try:
        async with create_sessionmaker(engine, settings=get_settings())() as session:
            yield session
    finally:
        await engine.dispose()


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    from app.migrations import upgrade

    upgrade(_database_url(), revision)
    typer.echo(f"Database schema is at {revision}.")


@cli.command()
def seed(
    file: Annotated[
        Path | None,
        typer.Argument(help="TOML file of [[events]]; default: the bundled side-event."),
    ] = None,
    if_missing: Annotated[
        bool,
        typer.Option(
            "--if-missing",
            help="Only create events that do not exist; leave existing ones as they are.",
        ),
    ] = False,
) -> None:
    """Create events from a data file, or update them (matched by slug) to match it.

    An update is applied as an organiser's edit would be, by `rsvp command`: audited,
    the waitlist promoted into new seats, registrants told of a new time or venue.
    Use --if-missing at every start-up, so edits made since on the dashboard stay.
    """
    from app.events.seed import BUNDLED_EVENTS_FILE, SeedOutcome, load_event_file, seed_event

    path = file or BUNDLED_EVENTS_FILE
    try:
        specs = load_event_file(path)
    except (OSError, ValueError) as exc:
        typer.secho(f"Could not read {path}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc

    said = {
        SeedOutcome.created: "created {}",
        SeedOutcome.updated: "updated {}",
        SeedOutcome.unchanged: "unchanged {} (already as in the file)",
        SeedOutcome.kept: "kept {} as it is (it exists; --if-missing)",
    }

    async def run() -> None:
        async with _session() as session, session.begin():
            for number, spec in enumerate(specs, start=1):
                result = await seed_event(
                    session, spec, now=datetime.now(UTC), if_missing=if_missing
                )
                extra = f", {result.promoted} promoted from the waitlist" if result.promoted else ""
                what = said[result.outcome].format(result.slug)
                typer.echo(f"[{number}/{len(specs)}] {what}{extra}")

    asyncio.run(run())


@cli.command("create-organiser")
def create_organiser(
    email: Annotated[
        str, typer.Option(help="The organiser's e-mail address (their sign-in name).")
    ],
    role: Annotated[OrganiserRole, typer.Option(help="owner, staff or viewer.")],
    password: Annotated[
        str | None, typer.Option(help="Asked for when not given (and not generated).")
    ] = None,
    generate_password: Annotated[
        bool, typer.Option(help="Make up a strong password and print it, once.")
    ] = False,
    if_none: Annotated[
        bool, typer.Option(help="Do nothing when any organiser exists (first-run bootstrap).")
    ] = False,
) -> None:
    """Create an organiser account."""
    from app.kit.errors import Conflict
    from app.organisers.accounts import any_organiser, checked_email
    from app.organisers.accounts import create_organiser as create
    from app.organisers.passwords import WeakPassword, check_strength
    from app.organisers.passwords import generate_password as make_password

    # What can be checked here is, before the database or a password prompt.
    try:
        email = checked_email(email)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{email!r} is not an e-mail address: {exc}", param_hint="'--email'"
        ) from exc
    if password is not None:
        try:
            check_strength(password, email=email)
        except WeakPassword as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(1) from exc

    async def exists_any() -> bool:
        async with _session() as session:
            return await any_organiser(session)

    if if_none and asyncio.run(exists_any()):
        typer.echo("An organiser account exists already; none created.")
        return
    if generate_password:
        password = make_password()
    while password is None:
        entered = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            check_strength(entered, email=email)
            password = entered
        except WeakPassword as exc:
            typer.secho(str(exc), fg="yellow", err=True)

    async def run(password: str) -> None:
        async with _session() as session, session.begin():
            await create(session, email=email, role=role, password=password, now=datetime.now(UTC))

    try:
        asyncio.run(run(password))
    except (ValueError, Conflict) as exc:  # a weak password or a bad e-mail address
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Created the {role} organiser {email}.")
    if generate_password:
        typer.echo(f"Password (shown only this once; only its hash is stored): {password}")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API and pages.

    The access log shows registrants' manage tokens as `[token]`.
    """
    import uvicorn

    settings = get_settings()
    if settings.database_url:
        # Started before its database (a host rebooting, a container started first):
        # wait for it here, once for all the workers, where Ctrl-C still stops it.
        _wait_for_database(_database_url())
    typer.echo(f"Serving on http://{host}:{port} (links in e-mails use {settings.base_url})")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Given to each worker process: the app's own lines keep their time and level.
        log_config=serve_log_config(verbose=_run.verbose),
        # Proxies are trusted only as FORWARDED_ALLOW_IPS says (uvicorn's own default
        # would trust 127.0.0.1, letting any local client name itself in the header).
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=",".join(str(net) for net in settings.forwarded_allow_ips) or None,
    )


def _wait_for_database(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            await wait_for_database(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@cli.command()
def worker() -> None:
    """Send the queued e-mails and do what is scheduled (reminders, lapsed waitlist
    offers, daily retention when RETENTION_DAYS is set), until stopped (SIGTERM or Ctrl-C).

    Several may run at once. `rsvp serve` runs one in-process unless
    MAIL_WORKER_IN_PROCESS=false.
    """
    from app.invitations.expiry import EXPIRY
    from app.mail.worker import serve_worker
    from app.privacy.housekeeping import HOUSEKEEPING, due_work

    settings = get_settings()
    asyncio.run(serve_worker(settings, periodic=[HOUSEKEEPING, EXPIRY], duties=due_work(settings)))


@cli.command()
def purge(
    keep_days: Annotated[
        int, typer.Option(min=0, help="Keep attendee data this many days after an event ends.")
    ] = 180,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be deleted.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete personal data past retention: registrations of events that ended more than
    KEEP_DAYS ago (with their e-mails and audit entries), old delivered e-mails, and
    expired or revoked organiser tokens."""
    from datetime import timedelta

    from app.registrations.retention import PurgeReport
    from app.registrations.retention import purge as run_purge

    async def run(commit: bool) -> PurgeReport:
        async with _session() as session, session.begin():
            report = await run_purge(session, now=datetime.now(UTC), keep=timedelta(days=keep_days))
            if not commit:
                await session.rollback()
            return report

    def show(report: PurgeReport, verb: str) -> None:
        events = ", ".join(report.events) or "none"
        typer.echo(f"Events ended more than {keep_days} days ago: {events}")
        typer.echo(
            f"{verb}: {report.registrations} registrations, {report.emails} e-mails, "
            f"{report.audit_entries} audit entries, {report.access_tokens} organiser tokens."
        )

    preview = asyncio.run(run(commit=False))
    if dry_run:
        show(preview, "Would delete")
        return
    if not yes:
        show(preview, "Would delete")
        typer.confirm("Delete them for good?", abort=True)
    show(asyncio.run(run(commit=True)), "Deleted")


def _one_line(exc: Exception) -> str | None:
    """The failure told in one line, or None for a fault the traceback must show."""
    if isinstance(exc, CommandFailed):
        return str(exc)
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        problems = validation_problems(exc, upper=True)
        return f"Invalid setting: {problems.rstrip('.')}."
    if _run.database_url is not None:
        return explain(exc, _run.database_url)
    return None


def main() -> None:
    try:
        cli()
    except Exception as exc:
        message = _one_line(exc)
        if message is None:
            raise
        if _run.verbose:
            traceback.print_exception(exc)
        typer.secho(message, fg="red", err=True)
        sys.exit(1)
