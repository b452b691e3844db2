"""Invitation reminders on real commits: two workers send each once, and a worker killed
with reminders due leaves them to the next, which sends each once."""

import os
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.events.seed import seed_event
from app.invitations.schemas import InvitationCreate
from app.invitations.service import create_invitations
from app.kit.db import create_engine, create_sessionmaker
from app.models import DeliveryState, MailKind, OutboxMessage
from app.schedule import invitations as invitation_reminders
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields
from tests.fixtures.mail import SmtpServer, workers_until
from tests.test_mail_workers import start_worker, wait_for
from tests.test_schedule_workers import HoldingHandler, holding_smtp

__all__ = ["holding_smtp"]  # the fixture, used here


@pytest.fixture
async def database(make_database: Callable[[], Awaitable[str]]) -> str:
    return await make_database()


async def add_event_with_invitees(
    url: str, settings: Settings, count: int, *, now: datetime, **fields: Any
) -> None:
    """The event and `count` pending invitations, made as the API makes them."""
    engine = create_engine(url, pool_size=1)
    rows = [
        InvitationCreate(
            email=f"invitee{n}@example.org",
            given_name="Ada",
            family_name="Colau",
            language="en",
            hold_seats=False,
        )
        for n in range(count)
    ]
    try:
        async with create_sessionmaker(engine, settings=settings)() as session, session.begin():
            await seed_event(session, event_fields(**fields), now=now)
            await create_invitations(
                session, event_slug="side-event", rows=rows, actor=None, now=now
            )
    finally:
        await engine.dispose()


async def count_reminders(engine: AsyncEngine, state: DeliveryState) -> int:
    async with create_sessionmaker(engine)() as session:
        query = select(func.count()).where(
            OutboxMessage.kind == MailKind.invitation_reminder, OutboxMessage.state == state
        )
        return await session.scalar(query) or 0


def reminded(handler: Any) -> Counter[str]:
    return Counter(
        str(message["To"].addresses[0].addr_spec)
        for message in handler.messages
        if str(message["Subject"]).startswith("Reminder")
    )


@pytest.mark.slow
async def test_two_workers_send_each_invitation_reminder_exactly_once(
    database: str,
    settings: Settings,
    smtp_server: SmtpServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Several batches, so the workers share the job's steps.
    monkeypatch.setattr(invitation_reminders, "BATCH_SIZE", 10)
    await add_event_with_invitees(database, settings, 60, now=clock.now())
    worker_settings = settings.model_copy(update={"smtp_url": smtp_server.url})
    clock.current = event_fields().starts_at - timedelta(days=2)
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
    assert reminded(smtp_server.handler) == {f"invitee{n}@example.org": 1 for n in range(60)}


@pytest.mark.slow
async def test_a_worker_killed_with_invitation_reminders_due_sends_them_after_restart_once(
    database: str, settings: Settings, holding_smtp: SmtpServer, tmp_path: Path
) -> None:
    handler = holding_smtp.handler
    assert isinstance(handler, HoldingHandler)
    # Invited a minute ago; the reminder an hour before the deadline is due now, by the
    # real clock the worker process reads.
    now = datetime.now(UTC)
    starts = now + timedelta(hours=1)
    await add_event_with_invitees(
        database,
        settings,
        5,
        now=now - timedelta(minutes=1),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        invitation_reminders=["PT1H"],
    )
    env = os.environ | {
        "DATABASE_URL": database,
        "SMTP_URL": holding_smtp.url,
        "DATA_DIR": str(tmp_path / "data"),
        "MAIL_LEASE_SECONDS": "1",
        "MAIL_POLL_SECONDS": "0.2",
    }
    engine = create_engine(database, pool_size=1)

    async def queued() -> bool:
        return await count_reminders(engine, DeliveryState.pending) == 5 and handler.held >= 1

    async def all_sent() -> bool:
        return await count_reminders(engine, DeliveryState.sent) == 5

    try:
        first = start_worker(env)
        try:
            await wait_for(queued)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        # Killed mid-send: the reminders are queued and none delivered.
        assert await count_reminders(engine, DeliveryState.pending) == 5
        assert handler.messages == []
        handler.release()

        second = start_worker(env)
        try:
            await wait_for(all_sent)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
    finally:
        await engine.dispose()

    assert reminded(handler) == {f"invitee{n}@example.org": 1 for n in range(5)}
