"""Several senders against one outbox, and a sender killed mid-batch; on real commits."""

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.events.seed import seed_event
from app.events.service import get_event
from app.kit.clock import SystemClock
from app.kit.db import create_engine, create_sessionmaker
from app.kit.db_errors import MAX_BACKOFF_SECONDS, backoff_seconds
from app.mail.outbox import queue_message
from app.mail.transport import transport_for
from app.mail.worker import deliver_due, run_worker
from app.main import create_app
from app.models import DeliveryState, MailKind, OutboxMessage
from tests.fixtures.factories import event_fields
from tests.fixtures.live_server import free_port
from tests.fixtures.mail import SmtpServer


@pytest.fixture
async def outbox_db(make_database: Callable[[], Awaitable[str]]) -> AsyncIterator[str]:
    yield await make_database()


async def fill_outbox(url: str, count: int) -> set[str]:
    """Queue `count` small messages, due now; returns their Message-IDs."""
    engine = create_engine(url, pool_size=1)
    now = datetime.now(UTC)
    message_ids = set()
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_event(session, event_fields(), now=now)
            event = await get_event(session, "side-event")
            for n in range(count):
                message = EmailMessage()
                message["Subject"] = f"Message {n}"
                message["From"] = "noreply@rsvp.test"
                message["To"] = f"person{n}@example.org"
                message["Message-ID"] = make_msgid(domain="rsvp.test")
                message.set_content(f"Message {n}.")
                message_ids.add(str(message["Message-ID"]))
                await queue_message(
                    session,
                    message,
                    kind=MailKind.confirmed,
                    event_id=event.id,
                    registration_id=None,
                    now=now,
                )
    finally:
        await engine.dispose()
    return message_ids


async def count_in_state(
    sessionmaker: async_sessionmaker[AsyncSession], state: DeliveryState
) -> int:
    async with sessionmaker() as session:
        query = select(func.count()).where(OutboxMessage.state == state)
        return (await session.scalar(query)) or 0


@pytest.mark.slow
async def test_two_workers_deliver_each_of_500_messages_exactly_once(
    outbox_db: str, smtp_server: SmtpServer, settings: Settings
) -> None:
    message_ids = await fill_outbox(outbox_db, 500)
    worker_settings = settings.model_copy(update={"smtp_url": smtp_server.url})
    engines = [create_engine(outbox_db, pool_size=2) for _ in range(2)]

    async def drain(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        transport, tried = transport_for(worker_settings), 0
        while claimed := await deliver_due(
            sessionmaker, transport, settings=worker_settings, clock=SystemClock()
        ):
            tried += claimed
        return tried

    try:
        shares = await asyncio.gather(*(drain(create_sessionmaker(e)) for e in engines))
        sent = await count_in_state(create_sessionmaker(engines[0]), DeliveryState.sent)
    finally:
        for engine in engines:
            await engine.dispose()

    assert all(share > 0 for share in shares), shares
    assert sum(shares) == 500
    assert Counter(smtp_server.handler.message_ids()) == Counter(message_ids)
    assert sent == 500


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    """Polls `condition` (state in other processes) for up to a minute."""
    for _ in range(1200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
async def test_a_worker_killed_mid_batch_loses_nothing_once_a_worker_runs_again(
    outbox_db: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message_ids = await fill_outbox(outbox_db, 200)
    smtp_server.handler.delay = 0.01  # so the kill lands while the worker is sending
    env = os.environ | {
        "DATABASE_URL": outbox_db,
        "SMTP_URL": smtp_server.url,
        "DATA_DIR": str(tmp_path / "data"),
        "MAIL_LEASE_SECONDS": "1",
        "MAIL_POLL_SECONDS": "0.2",
    }
    engine = create_engine(outbox_db, pool_size=1)
    sessionmaker = create_sessionmaker(engine)

    async def some_delivered() -> bool:
        return len(smtp_server.handler.messages) >= 30

    async def all_sent() -> bool:
        return await count_in_state(sessionmaker, DeliveryState.sent) == len(message_ids)

    try:
        first = start_worker(env)
        try:
            await wait_for(some_delivered)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        # Killed with messages of its batch still claimed and unsent.
        async with sessionmaker() as session:
            claimed = await session.scalar(
                select(func.count()).where(
                    OutboxMessage.state == DeliveryState.pending,
                    OutboxMessage.claimed_until.is_not(None),
                )
            )
        assert claimed

        second = start_worker(env)
        try:
            await wait_for(all_sent)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
    finally:
        await engine.dispose()

    assert set(smtp_server.handler.message_ids()) == message_ids


def serve_settings(settings: Settings, url: str, smtp: SmtpServer, *, in_process: bool) -> Settings:
    return settings.model_copy(
        update={
            "database_url": url,
            "smtp_url": smtp.url,
            "mail_worker_in_process": in_process,
            "mail_poll_seconds": 0.1,
        }
    )


async def test_the_served_app_sends_in_process_by_default(
    outbox_db: str, smtp_server: SmtpServer, settings: Settings
) -> None:
    message_ids = await fill_outbox(outbox_db, 3)
    app = create_app(serve_settings(settings, outbox_db, smtp_server, in_process=True))

    async def all_arrived() -> bool:
        return set(smtp_server.handler.message_ids()) == message_ids

    async with app.router.lifespan_context(app):
        await wait_for(all_arrived)


class CountingClock(SystemClock):
    """The system clock, counting how often it is asked: every poll of the outbox asks it."""

    def __init__(self) -> None:
        self.asked = 0

    def now(self) -> datetime:
        self.asked += 1
        return super().now()


async def test_the_served_app_leaves_sending_to_a_separate_worker_when_told(
    outbox_db: str, smtp_server: SmtpServer, settings: Settings
) -> None:
    message_ids = await fill_outbox(outbox_db, 3)
    served = serve_settings(settings, outbox_db, smtp_server, in_process=False)
    app_clock, worker_clock = CountingClock(), CountingClock()
    app = create_app(served, clock=app_clock)
    engine = create_engine(outbox_db, pool_size=2)
    stop = asyncio.Event()
    async with app.router.lifespan_context(app):
        separate = asyncio.create_task(
            run_worker(
                create_sessionmaker(engine),
                transport_for(served),
                settings=served,
                clock=worker_clock,
                stop=stop,
            )
        )
        try:
            await wait_for(lambda: all_arrived(smtp_server, message_ids))
            # Then one more poll of the separate worker, at the app's poll interval: an
            # in-process sender, started with the app, would have polled by now as well.
            polls = worker_clock.asked

            async def polled_again() -> bool:
                return worker_clock.asked > polls

            await wait_for(polled_again)
        finally:
            stop.set()
            await asyncio.wait_for(separate, 10)
            await engine.dispose()
    assert app_clock.asked == 0  # the app never polled the outbox: it sent nothing
    assert Counter(smtp_server.handler.message_ids()) == Counter(message_ids)


async def all_arrived(smtp_server: SmtpServer, message_ids: set[str]) -> bool:
    return set(smtp_server.handler.message_ids()) == message_ids


def test_failed_polls_back_off_exponentially_up_to_a_cap() -> None:
    waits = [backoff_seconds(n, first=2) for n in range(1, 10)]
    assert waits[:5] == [2, 4, 8, 16, 32]
    assert waits[5:] == [MAX_BACKOFF_SECONDS] * 4
    assert backoff_seconds(10_000, first=2) == MAX_BACKOFF_SECONDS
    # A poll interval longer than the cap is never shortened.
    assert backoff_seconds(3, first=600) == 600


async def test_a_worker_whose_database_comes_back_sends_what_was_queued(
    outbox_db: str, smtp_server: SmtpServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    message_ids = await fill_outbox(outbox_db, 3)
    worker_settings = settings.model_copy(
        update={"smtp_url": smtp_server.url, "mail_poll_seconds": 0.05}
    )
    gone = create_engine(f"postgresql+asyncpg://rsvp:pw@127.0.0.1:{free_port()}/x", pool_size=1)
    back = create_engine(outbox_db, pool_size=2)
    sessionmaker = create_sessionmaker(gone)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="app.mail.worker")
    worker = asyncio.create_task(
        run_worker(
            sessionmaker,
            transport_for(worker_settings),
            settings=worker_settings,
            clock=SystemClock(),
            stop=stop,
        )
    )
    try:

        def failed_polls() -> list[str]:
            return [r.getMessage() for r in caplog.records if "poll failed" in r.getMessage()]

        async def three_failed() -> bool:
            return len(failed_polls()) >= 3

        await wait_for(three_failed)
        sessionmaker.configure(bind=back)  # the database is back

        async def all_arrived() -> bool:
            return set(smtp_server.handler.message_ids()) == message_ids

        await wait_for(all_arrived)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
        await gone.dispose()
        await back.dispose()
    failures = failed_polls()
    for n, line in enumerate(failures, start=1):
        assert f"({n} in a row;" in line, failures
    assert all("Could not connect to the database rsvp@127.0.0.1:" in f for f in failures)
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
    assert any(
        f"working again after {len(failures)} failed polls" in r.getMessage()
        for r in caplog.records
    )
