"""The scheduler on real commits: several workers do each due job once, a worker killed
with reminders due leaves them to the next, and retention runs once a day."""

import asyncio
import logging
import os
import signal
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.events.seed import seed_event
from app.events.service import get_event
from app.kit.db import create_engine, create_sessionmaker
from app.models import (
    DeliveryState,
    MailKind,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    ScheduledJob,
)
from app.privacy.housekeeping import due_work
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import new_registration
from app.schedule import reminders
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.mail import RecordingHandler, SmtpServer, serve_smtp, workers_until
from tests.test_mail_workers import start_worker, wait_for


@pytest.fixture
async def database(make_database: Callable[[], Awaitable[str]]) -> str:
    return await make_database()


async def add_event_with_attendees(
    url: str, settings: Settings, count: int, *, now: datetime, **fields: Any
) -> None:
    """The event and `count` confirmed registrants (straight into the database)."""
    engine = create_engine(url, pool_size=1)
    try:
        async with create_sessionmaker(engine, settings=settings)() as session, session.begin():
            await seed_event(session, event_fields(capacity=count, **fields), now=now)
        for n in range(count):
            await add_registration(
                engine, settings, RegistrationStatus.confirmed, now, email=f"person{n}@example.org"
            )
    finally:
        await engine.dispose()


async def add_registration(
    engine: AsyncEngine,
    settings: Settings,
    status: RegistrationStatus,
    now: datetime,
    **fields: Any,
) -> None:
    """One registration of the side-event in `status`, whatever its seats."""
    async with create_sessionmaker(engine, settings=settings)() as session, session.begin():
        event = await get_event(session, "side-event", lock=True)
        data = RegistrationCreate.model_validate(signup_body(language="en", **fields))
        registration = await new_registration(
            session, event=event, data=data, status=status, now=now, ticket_key="k"
        )
        session.add(registration)


async def count_reminders(engine: AsyncEngine, state: DeliveryState) -> int:
    async with create_sessionmaker(engine)() as session:
        query = select(func.count()).where(
            OutboxMessage.kind == MailKind.reminder, OutboxMessage.state == state
        )
        return await session.scalar(query) or 0


@pytest.mark.slow
async def test_two_workers_send_each_reminder_exactly_once(
    database: str,
    settings: Settings,
    smtp_server: SmtpServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Several batches of the reminder's messages, so the workers share its steps.
    monkeypatch.setattr(reminders, "BATCH_SIZE", 10)
    await add_event_with_attendees(database, settings, 60, now=clock.now())
    worker_settings = settings.model_copy(update={"smtp_url": smtp_server.url})
    clock.current = event_fields().starts_at - timedelta(days=1)
    engines = [create_engine(database, pool_size=2) for _ in range(2)]

    async def all_sent(engine: AsyncEngine) -> bool:
        return await count_reminders(engine, DeliveryState.sent) == 60

    try:
        shares = await workers_until(engines, worker_settings, clock, all_sent)
        sent = await count_reminders(engines[0], DeliveryState.sent)
    finally:
        for engine in engines:
            await engine.dispose()

    assert all(share > 0 for share in shares), shares
    assert sent == 60
    recipients = Counter(smtp_server.handler.recipients)
    assert len(recipients) == 60
    assert set(recipients.values()) == {1}


class HoldingHandler(RecordingHandler):
    """Holds every message until `release()`, then refuses it (so a message whose sender
    was killed meanwhile is never counted as delivered); once released, accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()  # set from the test's thread, read in the server's
        self.held = 0

    def release(self) -> None:
        self.released.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.released.is_set():
            self.held += 1
            await asyncio.to_thread(self.released.wait, 60)
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_smtp() -> Iterator[SmtpServer]:
    """A real SMTP server that holds what it is sent until told."""
    handler = HoldingHandler()
    with serve_smtp(handler) as server:
        yield server
        handler.release()


@pytest.mark.slow
async def test_a_worker_killed_with_reminders_due_sends_them_after_restart_once(
    database: str, settings: Settings, holding_smtp: SmtpServer, tmp_path: Path
) -> None:
    handler, smtp_url = holding_smtp.handler, holding_smtp.url
    assert isinstance(handler, HoldingHandler)
    # Planned a minute ago, due now by the real clock the worker process reads.
    now = datetime.now(UTC)
    starts = now + timedelta(hours=1)
    await add_event_with_attendees(
        database,
        settings,
        5,
        now=now - timedelta(minutes=1),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        reminders=["PT1H"],
    )
    env = os.environ | {
        "DATABASE_URL": database,
        "SMTP_URL": smtp_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MAIL_LEASE_SECONDS": "1",
        "MAIL_POLL_SECONDS": "0.2",
    }
    engine = create_engine(database, pool_size=1)

    async def sending() -> bool:
        return handler.held >= 1

    async def all_sent() -> bool:
        return await count_reminders(engine, DeliveryState.sent) == 5

    try:
        first = start_worker(env)
        try:
            await wait_for(sending)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        # Killed mid-send: the reminders are queued, claimed, and none delivered.
        assert await count_reminders(engine, DeliveryState.pending) == 5
        assert handler.messages == []
        handler.release()

        second = start_worker(env)
        try:
            await wait_for(all_sent)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
        async with create_sessionmaker(engine)() as session:
            (job,) = (await session.scalars(select(ScheduledJob))).all()
    finally:
        await engine.dispose()

    assert job.done_at is not None
    assert Counter(handler.recipients) == {f"person{n}@example.org": 1 for n in range(5)}


async def _registrations(engine: AsyncEngine) -> int:
    async with create_sessionmaker(engine)() as session:
        return await session.scalar(select(func.count()).select_from(Registration)) or 0


@pytest.fixture
async def ended_event(database: str, settings: Settings, clock: FakeClock) -> AsyncIterator[str]:
    await add_event_with_attendees(database, settings, 3, now=clock.now())
    yield database


async def test_retention_runs_once_a_day_however_many_workers(
    ended_event: str, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    keeping = settings.model_copy(update={"retention_days": 30})
    clock.current = event_fields().ends_at + timedelta(days=31)
    engines = [create_engine(ended_event, pool_size=2) for _ in range(3)]
    makers = [create_sessionmaker(engine, settings=keeping) for engine in engines]
    try:
        with caplog.at_level(logging.INFO, logger="app.privacy.housekeeping"):
            await asyncio.gather(*(due_work(keeping)(m, clock.now()) for m in makers))
            await asyncio.gather(*(due_work(keeping)(m, clock.now()) for m in makers))
        runs = [r for r in caplog.records if r.getMessage().startswith("retention:")]
        assert len(runs) == 1
        assert await _registrations(engines[0]) == 0

        # Another past retention appears: left until the next day's run.
        await add_registration(engines[0], keeping, RegistrationStatus.cancelled, clock.now())
        clock.advance(hours=23)
        await due_work(keeping)(makers[1], clock.now())
        assert await _registrations(engines[0]) == 1
        clock.advance(hours=1)
        await due_work(keeping)(makers[2], clock.now())
        assert await _registrations(engines[0]) == 0
    finally:
        for engine in engines:
            await engine.dispose()


async def test_without_retention_days_the_worker_deletes_nothing(
    ended_event: str, settings: Settings, clock: FakeClock
) -> None:
    assert settings.retention_days is None
    clock.current = event_fields().ends_at + timedelta(days=3650)
    engine = create_engine(ended_event, pool_size=2)
    try:
        await due_work(settings)(create_sessionmaker(engine, settings=settings), clock.now())
        assert await _registrations(engine) == 3
    finally:
        await engine.dispose()
