"""An erasure that meets a message being sent to the same person, on real commits:
the erasure waits for that message to be settled, so nothing reaches the person
once their erasure has been answered, and the sent row keeps no address."""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.mail.transport import transport_for
from app.mail.worker import deliver_due
from app.main import create_app
from app.models import DeliveryState, OutboxMessage
from tests.fixtures.app import BASE_URL, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.mail import RecordingHandler, serve_smtp


class GateHandler(RecordingHandler):
    """Accepts each message only once the gate opens; says when one is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.gate = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.waiting.set()
        await asyncio.to_thread(self.gate.wait, 60)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
async def database(make_database: Callable[[], Awaitable[str]]) -> str:
    return await make_database()


async def waiting_on_a_lock(engine: AsyncEngine) -> None:
    """Returns once some other session of this database waits for a row lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        async with engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.01)


@pytest.mark.slow
async def test_an_erasure_waits_for_the_message_in_flight_and_none_is_sent_after_it(
    database: str, settings: Settings, clock: FakeClock
) -> None:
    handler = GateHandler()
    with serve_smtp(handler) as smtp:
        live = settings.model_copy(update={"smtp_url": smtp.url})
        engine = create_engine(database, pool_size=4)
        sessionmaker = create_sessionmaker(engine, settings=live)
        app = create_app(live, clock=clock)
        app.state.sessionmaker = sessionmaker
        try:
            async with sessionmaker() as session, session.begin():
                await seed_event(session, event_fields(), now=clock.now())
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=BASE_URL
            ) as client:
                signed_up = await client.post(
                    "/api/events/side-event/registrations", json=signup_body()
                )
                assert signed_up.status_code == 201
                # The confirmation is on its way: the SMTP server holds it.
                sending = asyncio.create_task(
                    deliver_due(sessionmaker, transport_for(live), settings=live, clock=clock)
                )
                assert await asyncio.to_thread(handler.waiting.wait, 30)
                erasing = asyncio.create_task(
                    client.post(f"/api/registrations/{token_of(signed_up.json())}/erase")
                )
                blocked = asyncio.create_task(waiting_on_a_lock(engine))
                done, _ = await asyncio.wait(
                    {erasing, blocked}, timeout=30, return_when=asyncio.FIRST_COMPLETED
                )
                assert erasing not in done, "erased while a message to them was being sent"
                assert blocked in done
                handler.gate.set()
                assert await sending == 1
                assert (await erasing).status_code == 204
            # The message in flight went out before the erasure was answered; the
            # cancellation the erasure queued never will.
            assert len(handler.messages) == 1
            async with sessionmaker() as session:
                rows = (await session.scalars(select(OutboxMessage))).all()
            states = sorted(row.state for row in rows)
            assert states == [DeliveryState.sent, DeliveryState.suppressed]
            assert all(row.recipient.endswith(".invalid") for row in rows), rows
        finally:
            handler.gate.set()
            await engine.dispose()
