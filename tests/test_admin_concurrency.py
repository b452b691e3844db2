"""Organiser actions racing each other, through the real per-request transactions."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.seed import seed_event
from app.events.service import get_event
from app.models import (
    AuditEntry,
    Event,
    MailKind,
    OrganiserRole,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from app.organisers.accounts import create_organiser
from app.organisers.bearer import issue_token
from tests.fixtures.app import BASE_URL, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields, signup_body

EVENT = "/api/admin/events/side-event"


@pytest.fixture
async def client(committed_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
        yield client


async def setup(app: Any, clock: FakeClock, **event: Any) -> dict[str, str]:
    """The event, committed, and an owner's Authorization header."""
    async with app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(**event), now=clock.now())
        owner = await create_organiser(
            session, email="owner@jmdi.example", role=OrganiserRole.owner,
            password="tree-river-lantern-42", now=clock.now(),
        )  # fmt: skip
        issued = await issue_token(
            session, organiser=owner, now=clock.now(), lifetime=timedelta(hours=1)
        )
    return {"Authorization": f"Bearer {issued.token}"}


async def test_simultaneous_scans_of_one_ticket_check_in_once(
    committed_app: Any, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = await setup(committed_app, clock)
    signed_up = await client.post("/api/events/side-event/registrations", json=signup_body())
    scan = {"ticket_code": signed_up.json()["ticket_code"]}
    responses = await asyncio.gather(
        *(client.post(f"{EVENT}/check-in", json=scan, headers=headers) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    first = next(r.json()["checked_in_at"] for r in responses if r.status_code == 200)
    assert all(
        r.json()["checked_in_at"] == clock.now().isoformat()
        for r in responses
        if r.status_code == 409
    )
    assert first.replace("Z", "+00:00") == clock.now().isoformat()


async def test_simultaneous_approvals_fill_the_last_seat_once(
    committed_app: Any, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = await setup(committed_app, clock, capacity=1, approval_required=True)
    pending = [
        (await client.post("/api/events/side-event/registrations", json=signup_body())).json()
        for _ in range(5)
    ]
    responses = await asyncio.gather(
        *(client.post(f"{EVENT}/registrations/{p['id']}/approve", headers=headers) for p in pending)
    )
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == 1
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == [1, 2, 3, 4]


async def blocked_on_a_lock(app: Any, count: int) -> None:
    """Returns once `count` transactions on the app's database wait for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(30):
        while True:
            # A new session each time: a transaction sees pg_stat_activity as of its start.
            async with app.state.sessionmaker() as session:
                if (await session.scalar(query) or 0) >= count:
                    return
            await asyncio.sleep(0.01)


@asynccontextmanager
async def event_locked(app: Any) -> AsyncIterator[AsyncSession]:
    """Holds the event's lock (as a slow organiser action would) until the block ends."""
    async with app.state.sessionmaker() as other, other.begin():
        await get_event(other, "side-event", lock=True)
        yield other


async def test_two_simultaneous_call_offs_cancel_the_event_once(
    committed_app: Any, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = await setup(committed_app, clock)
    await client.post("/api/events/side-event/registrations", json=signup_body())
    async with event_locked(committed_app):
        # Both start while the event is locked, so they reach it one after the other.
        calls = [
            asyncio.create_task(client.post(f"{EVENT}/cancel", headers=headers)) for _ in range(2)
        ]
        await blocked_on_a_lock(committed_app, 2)
    responses = await asyncio.gather(*calls)
    assert sorted(r.status_code for r in responses) == [200, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["code"] == "invalid_transition"
    async with committed_app.state.sessionmaker() as session:
        sequence = await session.scalar(select(Event.ical_sequence))
        cancellations = await session.scalar(
            select(func.count()).where(OutboxMessage.kind == MailKind.event_cancelled)
        )
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.action == "event.cancel")
        )
    assert (sequence, cancellations, audited) == (1, 1, 1)


async def test_a_registrants_cancel_fills_seats_by_the_capacity_under_the_lock(
    committed_app: Any, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Capacity 2, A and B seated, C waiting. An organiser lowers the capacity to 1 while A
    cancels: C must stay waiting, since B alone fills the room."""
    await setup(committed_app, clock, capacity=2)
    signups = "/api/events/side-event/registrations"
    a = (await client.post(signups, json=signup_body())).json()
    await client.post(signups, json=signup_body())
    c = (await client.post(signups, json=signup_body())).json()
    assert c["status"] == "waitlisted"
    async with event_locked(committed_app) as organiser:
        cancel = asyncio.create_task(client.post(f"/api/registrations/{token_of(a)}/cancel"))
        await blocked_on_a_lock(committed_app, 1)  # the cancel waits for the event's lock
        await organiser.execute(text("UPDATE events SET capacity = 1"))
    assert (await cancel).status_code == 200
    async with committed_app.state.sessionmaker() as session:
        confirmed = await session.scalar(
            select(func.count()).where(Registration.status == RegistrationStatus.confirmed)
        )
    assert confirmed == 1
