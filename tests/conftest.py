"""Fixtures: a real PostgreSQL, the app on top of it, and a controllable clock.

The server is an embedded PostgreSQL (pgserver) in a temporary folder, or the
one named by TEST_DATABASE_URL. The schema is migrated once, with Alembic, into
a template database; most tests then run inside a transaction that is rolled
back, and tests that need real commits get a fresh copy of the template.
"""

import asyncio
import functools
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.events.schemas import EventFields
from app.events.seed import seed_event
from app.events.service import get_event
from app.kit.db import create_engine, create_sessionmaker, start_embedded_postgres, to_asyncpg_url
from app.kit.secrets import signing_key
from app.mail.manage_links import issue_manage_token
from app.mail.transport import transport_for
from app.mail.worker import deliver_due
from app.main import create_app
from app.migrations import upgrade
from app.models import (
    MailKind,
    Organiser,
    OrganiserRole,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from app.organisers.bearer import issue_token
from app.organisers.passwords import hash_password
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import new_registration

TEMPLATE_DB = "rsvp_test_template"
BASE_URL = "http://rsvp.test"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin_execute(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_dsn(database_url(server_url, "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An asyncpg URL to a PostgreSQL server the tests may create databases on."""
    if external := os.environ.get("TEST_DATABASE_URL"):
        return to_asyncpg_url(external)
    return start_embedded_postgres(tmp_path_factory.mktemp("pg") / "data", database="postgres")


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> str:
    """A database migrated to head with Alembic; fresh databases are copied from it."""
    asyncio.run(
        admin_execute(
            pg_server_url,
            f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)',
            f'CREATE DATABASE "{TEMPLATE_DB}"',
        )
    )
    upgrade(database_url(pg_server_url, TEMPLATE_DB))
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def make_database(pg_server_url: str, template_db: str) -> Iterator[Callable[[], Awaitable[str]]]:
    """Creates a new database from the migrated template; all are dropped at the end."""
    created: list[str] = []

    async def make() -> str:
        name = f"rsvp_test_{uuid.uuid4().hex[:12]}"
        await admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        created.append(name)
        return database_url(pg_server_url, name)

    yield make
    if created:
        asyncio.run(
            admin_execute(
                pg_server_url, *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in created)
            )
        )


@pytest.fixture(scope="session")
async def shared_engine(
    make_database: Callable[[], Awaitable[str]],
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await make_database(), pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(shared_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with shared_engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessionmaker(
    connection: AsyncConnection, settings: Settings
) -> async_sessionmaker[AsyncSession]:
    # Each session's commit only releases a savepoint of the outer transaction.
    return create_sessionmaker(
        connection, settings=settings, autoflush=True, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2013, 9, 2, 14, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=None,
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        rate_limit_enabled=False,
        _env_file=None,
    )


@pytest.fixture
def ticket_key(settings: Settings) -> str:
    """The app's signing key (the `app` fixture reads the same), which keys ticket codes."""
    return signing_key(settings)


@pytest.fixture
def app(
    settings: Settings, clock: FakeClock, sessionmaker: async_sessionmaker[AsyncSession]
) -> Any:
    app = create_app(settings, clock=clock)
    app.state.sessionmaker = sessionmaker
    return app


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def event_fields(**overrides: Any) -> EventFields:
    values: dict[str, Any] = {
        "slug": "side-event",
        "title": "Local Government: Taking the Migration and Development Agenda Forward",
        "summary": "A side-event of the High-Level Dialogue.",
        "starts_at": datetime(2013, 10, 4, 17, 15, tzinfo=UTC),
        "ends_at": datetime(2013, 10, 4, 18, 45, tzinfo=UTC),
        "timezone": "America/New_York",
        "venue": "Conference Room 6, United Nations Headquarters, New York",
        "capacity": 120,
        "organisers": ["JMDI", "UNITAR", "KNOMAD"],
    }
    return EventFields.model_validate(values | overrides)


MakeEvent = Callable[..., Awaitable[EventFields]]


@pytest.fixture
def make_event(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> MakeEvent:
    """Creates an event in the test's transaction; keyword arguments override fields."""

    async def make(**overrides: Any) -> EventFields:
        fields = event_fields(**overrides)
        async with sessionmaker() as session, session.begin():
            await seed_event(session, fields, now=clock.now())
        return fields

    return make


@pytest.fixture
async def event(make_event: MakeEvent) -> EventFields:
    return await make_event()


def signup_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": f"person-{uuid.uuid4().hex[:8]}@example.org",
        "given_name": "Ana",
        "family_name": "Quispe",
        "organisation": "Municipality of Cuenca",
        "job_title": "Director of Human Mobility",
        "affiliation_type": "local_government",
        "country": "EC",
        "language": "es",
        "has_un_grounds_pass": False,
        "accessibility_needs": None,
        "consent": True,
    }
    return body | overrides


Signup = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def signup(client: httpx.AsyncClient) -> Signup:
    async def post(slug: str = "side-event", **overrides: Any) -> httpx.Response:
        return await client.post(f"/api/events/{slug}/registrations", json=signup_body(**overrides))

    return post


@pytest.fixture
async def committed_app(
    make_database: Callable[[], Awaitable[str]], settings: Settings, clock: FakeClock
) -> AsyncIterator[Any]:
    """The app on a database of its own, going through the real per-request transactions."""
    engine = create_engine(await make_database(), pool_size=10)
    app = create_app(settings, clock=clock)
    app.state.sessionmaker = create_sessionmaker(engine, settings=settings)
    yield app
    await engine.dispose()


async def queued_messages(
    session: AsyncSession, recipient: str, kind: MailKind | None = None
) -> list[EmailMessage]:
    """The messages queued for `recipient` (of `kind`, if given), oldest first, until sent."""
    query = (
        select(OutboxMessage.body)
        .where(OutboxMessage.recipient == recipient, OutboxMessage.body.is_not(None))
        .order_by(OutboxMessage.created_at)
    )
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return [parse_message(body) for body in await session.scalars(query) if body]


def parse_message(data: bytes) -> EmailMessage:
    # Decoded first: headers may be raw UTF-8 (SMTPUTF8); bodies are 7-bit encoded.
    message = Parser(policy=policy.default).parsestr(data.decode())
    assert isinstance(message, EmailMessage)
    return message


_MANAGE_URL = re.compile(re.escape(BASE_URL) + r"/r/[A-Za-z0-9_-]+")


def manage_url_in(message: EmailMessage) -> str:
    """The manage link in a message's plain-text part."""
    text = message.get_body(("plain",))
    assert text is not None
    found = _MANAGE_URL.search(text.get_content())
    assert found, "no manage link in the message"
    return found.group(0)


class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepts, or answers as told."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received: list[bytes] = []
        """The messages as they came over the wire, unparsed."""
        self.refusals: list[str] = []
        self.recipients: list[str] = []
        self.delay = 0.0

    def refuse_next(self, reply: str, times: int = 1) -> None:
        """Answer the next `times` messages with `reply` (e.g. "451 Try again later")."""
        self.refusals.extend([reply] * times)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusals:
            return self.refusals.pop(0)
        data = envelope.original_content or envelope.content
        self.received.append(data)
        self.messages.append(parse_message(data))
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def forget(self) -> None:
        """Drop what was received so far, so a test looks only at what follows."""
        self.messages.clear()
        self.received.clear()
        self.recipients.clear()

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


@dataclass(frozen=True)
class SmtpServer:
    handler: RecordingHandler
    url: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback (aiosmtpd, in a thread of its own)."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    yield SmtpServer(handler=handler, url=f"smtp://127.0.0.1:{controller.port}")
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_server.url})


SendQueued = Callable[[], Awaitable[int]]


@pytest.fixture
def send_queued(
    sessionmaker: async_sessionmaker[AsyncSession], mail_settings: Settings, clock: FakeClock
) -> SendQueued:
    """Runs the sender until nothing is due by the test's clock; returns how many it tried."""

    async def run() -> int:
        transport = transport_for(mail_settings)
        tried = 0
        while claimed := await deliver_due(
            sessionmaker, transport, settings=mail_settings, clock=clock
        ):
            tried += claimed
        return tried

    return run


def token_of(registration: dict[str, Any]) -> str:
    """The secret token at the end of a registrant's manage URL."""
    return str(registration["manage_url"]).rsplit("/", 1)[1]


def own_path(registration: dict[str, Any], suffix: str = "") -> str:
    """The registrant's own API path, e.g. own_path(r, "/cancel")."""
    return f"/api/registrations/{token_of(registration)}{suffix}"


async def ticket_shown(client: httpx.AsyncClient, token: str) -> str:
    """The QR ticket's code, as the registrant's own view shows it (once confirmed)."""
    code = (await client.get(f"/api/registrations/{token}")).json()["ticket_code"]
    assert isinstance(code, str), "no ticket: the registration is not confirmed"
    return code


# Organisers made by the factory share this password; argon2 hashes it once per run.
ORGANISER_PASSWORD = "correct horse battery staple"


@functools.cache
def _organiser_password_hash() -> str:
    return hash_password(ORGANISER_PASSWORD)


MakeOrganiser = Callable[..., Awaitable[Organiser]]


@pytest.fixture
def make_organiser(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> MakeOrganiser:
    """Creates an organiser (password ORGANISER_PASSWORD) in the test's transaction."""

    async def make(role: str = "owner", email: str | None = None) -> Organiser:
        organiser = Organiser(
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@jmdi.example",
            role=OrganiserRole(role),
            password_hash=_organiser_password_hash(),
            created_at=clock.now(),
        )
        async with sessionmaker() as session, session.begin():
            session.add(organiser)
        return organiser

    return make


AuthHeaders = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def auth_headers(
    make_organiser: MakeOrganiser,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
) -> AuthHeaders:
    """`await auth_headers("staff")`: an Authorization header for a new organiser of that role."""

    async def headers(role: str = "owner") -> dict[str, str]:
        organiser = await make_organiser(role)
        async with sessionmaker() as session, session.begin():
            issued = await issue_token(
                session,
                organiser=organiser,
                now=clock.now(),
                lifetime=timedelta(hours=settings.organiser_token_hours),
            )
        return {"Authorization": f"Bearer {issued.token}"}

    return headers


MakeRegistration = Callable[..., Awaitable[tuple[Registration, str]]]


@pytest.fixture
def make_registration(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, ticket_key: str
) -> MakeRegistration:
    """Puts a registration straight into a stage (a status, or "checked_in"), whatever the seats.

    Returns it with its manage token. Keyword arguments override sign-up fields.
    """

    async def make(
        stage: str = "confirmed", slug: str = "side-event", **fields: Any
    ) -> tuple[Registration, str]:
        data = RegistrationCreate.model_validate(signup_body(**fields))
        checked_in = stage == "checked_in"
        status = RegistrationStatus.confirmed if checked_in else RegistrationStatus(stage)
        async with sessionmaker() as session, session.begin():
            event = await get_event(session, slug, lock=True)
            registration = await new_registration(
                session,
                event=event,
                data=data,
                status=status,
                now=clock.now(),
                ticket_key=ticket_key,
            )
            registration.checked_in_at = clock.now() if checked_in else None
            session.add(registration)
            await session.flush()
            token = await issue_manage_token(session, registration, now=clock.now())
        return registration, token

    return make
