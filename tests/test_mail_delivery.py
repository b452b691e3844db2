"""Delivery: retries, permanent failures, leases, the .eml folder, and rolled-back causes."""

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.mail import worker
from app.mail.outbox import Claimed, claim_due, retry_delay, settle
from app.mail.transport import Envelope, Transport, transport_for
from app.mail.worker import deliver_due
from app.models import DeliveryState, OutboxMessage
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import register
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import signup_body
from tests.fixtures.live_server import free_port
from tests.fixtures.mail import SendQueued, SmtpServer, parse_message


async def only_row(session: AsyncSession) -> OutboxMessage:
    query = select(OutboxMessage).execution_options(populate_existing=True)
    (row,) = (await session.scalars(query)).all()
    return row


async def test_answered_451_twice_the_message_arrives_once_on_the_third_try(
    event: object,
    signup: Signup,
    session: AsyncSession,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup()
    smtp_server.handler.refuse_next("451 4.3.0 Try again later", times=2)
    for _ in range(3):
        await send_queued()
        clock.advance(hours=1)

    assert len(smtp_server.handler.messages) == 1
    row = await only_row(session)
    assert (row.state, row.attempts) == (DeliveryState.sent, 3)
    assert smtp_server.handler.message_ids() == [row.message_id]


async def test_a_temporary_failure_is_retried_later_not_at_once(
    event: object,
    signup: Signup,
    session: AsyncSession,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup()
    smtp_server.handler.refuse_next("451 4.3.0 Try again later")
    assert await send_queued() == 1
    row = await only_row(session)
    assert row.state == DeliveryState.pending
    assert row.last_error is not None and row.last_error.startswith("451")
    assert clock.now() + timedelta(seconds=30) <= row.next_attempt_at
    assert await send_queued() == 0
    assert smtp_server.handler.messages == []


def test_retry_delays_grow_exponentially_with_jitter_up_to_an_hour() -> None:
    for attempt, ceiling in [(1, 60), (2, 120), (3, 240), (10, 3600)]:
        delays = {retry_delay(attempt).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


async def test_answered_550_the_row_fails_with_the_reason_and_is_not_retried(
    event: object,
    signup: Signup,
    session: AsyncSession,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup()
    smtp_server.handler.refuse_next("550 5.1.1 No such mailbox")
    await send_queued()
    clock.advance(days=1)
    assert await send_queued() == 0

    row = await only_row(session)
    assert (row.state, row.attempts) == (DeliveryState.failed, 1)
    assert row.last_error == "550 5.1.1 No such mailbox"
    assert row.body is None
    assert smtp_server.handler.messages == []


async def test_after_the_last_try_the_row_fails(
    event: object,
    signup: Signup,
    session: AsyncSession,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    mail_settings: Settings,
) -> None:
    await signup()
    smtp_server.handler.refuse_next("421 4.7.0 Busy", times=mail_settings.mail_max_attempts)
    for _ in range(mail_settings.mail_max_attempts + 2):
        await send_queued()
        clock.advance(hours=2)
    row = await only_row(session)
    assert (row.state, row.attempts) == (DeliveryState.failed, mail_settings.mail_max_attempts)
    assert smtp_server.handler.messages == []


async def test_an_unreachable_server_is_a_temporary_failure(
    event: object,
    signup: Signup,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FakeClock,
) -> None:
    await signup()
    nowhere = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    await deliver_due(sessionmaker, transport_for(nowhere), settings=nowhere, clock=clock)
    row = await only_row(session)
    assert (row.state, row.attempts) == (DeliveryState.pending, 1)
    assert row.last_error


async def test_a_sent_message_keeps_its_headers_but_not_its_body(
    event: object,
    signup: Signup,
    session: AsyncSession,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup(email="delegate@example.org", language="en")
    await send_queued()
    row = await only_row(session)
    assert row.state == DeliveryState.sent
    assert row.sent_at == clock.now()
    assert row.body is None
    assert row.recipient == "delegate@example.org"
    assert row.subject.startswith("Registration confirmed")
    assert row.message_id == smtp_server.handler.message_ids()[0]


async def test_a_registration_rolled_back_after_queueing_sends_nothing(
    event: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    ticket_key: str,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    data = RegistrationCreate.model_validate(signup_body())
    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            await register(
                session, event_slug="side-event", data=data, now=clock.now(), ticket_key=ticket_key
            )
            assert await session.scalar(select(OutboxMessage.id)) is not None
            raise RuntimeError("the request failed after its e-mail was queued")
    assert await send_queued() == 0
    assert smtp_server.handler.messages == []


async def test_rows_claimed_by_a_worker_that_died_are_due_again_when_its_lease_ends(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_settings: Settings,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await signup()
    lease = timedelta(seconds=mail_settings.mail_lease_seconds)
    async with sessionmaker() as session, session.begin():
        assert len(await claim_due(session, now=clock.now(), lease=lease, limit=10)) == 1
    assert await send_queued() == 0
    clock.advance(seconds=mail_settings.mail_lease_seconds + 1)
    assert await send_queued() == 1
    assert len(smtp_server.handler.messages) == 1


def saved_messages(folder: Path) -> list[tuple[Path, EmailMessage]]:
    return [(path, parse_message(path.read_bytes())) for path in folder.glob("*.eml")]


async def test_without_smtp_url_each_message_is_saved_as_an_eml_file(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await signup(email="delegate@example.org", language="en")
    assert settings.smtp_url is None
    with caplog.at_level(logging.INFO, logger="app.mail"):
        await deliver_due(sessionmaker, transport_for(settings), settings=settings, clock=clock)

    ((saved, message),) = saved_messages(settings.data_dir / "mail")
    assert str(message["Subject"]).startswith("Registration confirmed")
    assert message["Date"] is not None
    assert (await only_row(session)).state == DeliveryState.sent
    (line,) = [r.getMessage() for r in caplog.records if "saved as" in r.getMessage()]
    assert "delegate@example.org" in line and str(saved) in line


async def test_a_worker_whose_lease_ran_out_leaves_the_row_to_the_worker_that_took_it_over(
    event: object,
    signup: Signup,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_settings: Settings,
    clock: FakeClock,
) -> None:
    await signup()
    lease = timedelta(seconds=mail_settings.mail_lease_seconds)
    async with sessionmaker() as slow_worker, slow_worker.begin():
        (stale,) = await claim_due(slow_worker, now=clock.now(), lease=lease, limit=1)
    clock.advance(seconds=mail_settings.mail_lease_seconds + 1)
    async with sessionmaker() as other_worker, other_worker.begin():
        (current,) = await claim_due(other_worker, now=clock.now(), lease=lease, limit=1)

    async with sessionmaker() as slow_worker, slow_worker.begin():
        await settle(slow_worker, stale, now=clock.now(), error="451 late", max_attempts=8)
    row = await only_row(session)
    assert (row.state, row.attempts, row.claimed_until) == (DeliveryState.pending, 0, current.lease)

    async with sessionmaker() as other_worker, other_worker.begin():
        await settle(other_worker, current, now=clock.now(), max_attempts=8)
    assert (await only_row(session)).state == DeliveryState.sent


class SlowRelay:
    """The real SMTP transport behind a relay that takes `seconds` (by the test's clock)
    to accept each message; `meanwhile` runs while it does."""

    def __init__(
        self,
        inner: Transport,
        clock: FakeClock,
        seconds: float,
        meanwhile: Callable[[], Awaitable[object]],
    ) -> None:
        self.inner, self.clock, self.seconds, self.meanwhile = inner, clock, seconds, meanwhile

    async def send(self, envelope: Envelope) -> None:
        self.clock.advance(seconds=self.seconds)
        await self.meanwhile()
        await self.inner.send(envelope)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_slow_relay_does_not_let_a_second_worker_send_the_rest_of_a_batch_again(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    mail_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    """One batch of 3, a 300 s lease, 200 s per message; another worker polls meanwhile."""
    for _ in range(3):
        await signup()

    async def second_worker() -> int:
        return await deliver_due(
            sessionmaker, transport_for(mail_settings), settings=mail_settings, clock=clock
        )

    slow = SlowRelay(transport_for(mail_settings), clock, seconds=200, meanwhile=second_worker)
    assert await deliver_due(sessionmaker, slow, settings=mail_settings, clock=clock) == 3

    assert sorted(Counter(smtp_server.handler.message_ids()).values()) == [1, 1, 1]
    async with sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert [(row.state, row.attempts, row.claimed_until) for row in rows] == [
            (DeliveryState.sent, 1, None)
        ] * 3


async def test_an_unexpected_error_is_a_counted_retryable_failure_and_the_batch_goes_on(
    event: object,
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = (await signup(email="broken@example.org")).json()
    await signup(email="fine@example.org")

    # A fault of ours while building one message (a bug in rendering, say).
    render = worker.render

    def render_with_a_bug(row: Claimed, *args: Any, **kwargs: Any) -> bytes:
        if row.recipient == "broken@example.org":
            raise TypeError("a bug")
        return render(row, *args, **kwargs)

    monkeypatch.setattr(worker, "render", render_with_a_bug)
    transport = transport_for(mail_settings)
    assert await deliver_due(sessionmaker, transport, settings=mail_settings, clock=clock) == 2

    assert smtp_server.handler.recipients == ["fine@example.org"]
    async with sessionmaker() as session:
        query = select(OutboxMessage).where(OutboxMessage.registration_id == broken["id"])
        row = (await session.scalars(query.execution_options(populate_existing=True))).one()
    assert (row.state, row.attempts, row.claimed_until) == (DeliveryState.pending, 1, None)
    assert row.last_error is not None and row.last_error.startswith("TypeError: ")
    assert row.next_attempt_at > clock.now()
    assert "unexpected error" in caplog.text
