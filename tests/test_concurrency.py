"""Seats under concurrency, through the real per-request transactions."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.events.seed import seed_event
from app.models import Registration, RegistrationStatus
from app.models.waitlist import load_positions
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields, signup_body


async def _seed(app: Any, clock: FakeClock, **fields: Any) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(**fields), now=clock.now())


@pytest.mark.slow
async def test_200_simultaneous_signups_for_50_seats_never_overbook(
    committed_app: Any, clock: FakeClock
) -> None:
    await sign_up_200_for_50_seats(committed_app, clock)


async def sign_up_200_for_50_seats(committed_app: Any, clock: FakeClock) -> None:
    """The race: 50 confirmed, 150 waitlisted in positions 1 to 150, in answers and rows.

    Also run through PgBouncer (tests/test_pgbouncer.py).
    """
    await _seed(committed_app, clock, capacity=50)
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/events/side-event/registrations",
                    json=signup_body(email=f"person{n}@example.org"),
                )
                for n in range(200)
            )
        )
    assert [r.status_code for r in responses] == [201] * 200
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == 50
    waitlisted = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert waitlisted == list(range(1, 151))

    async with committed_app.state.sessionmaker() as session:
        stored = list(await session.scalars(select(Registration)))
        await load_positions(session, stored)
    assert sum(r.status == RegistrationStatus.confirmed for r in stored) == 50
    assert sorted(r.waitlist_position for r in stored if r.waitlist_position) == list(range(1, 151))


async def test_simultaneous_duplicate_signups_store_one(
    committed_app: Any, clock: FakeClock
) -> None:
    await _seed(committed_app, clock)
    transport = httpx.ASGITransport(app=committed_app)
    body = signup_body(email="same@example.org")
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        responses = await asyncio.gather(
            *(client.post("/api/events/side-event/registrations", json=body) for _ in range(20))
        )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 19


async def test_simultaneous_cancellations_promote_each_waitlisted_once(
    committed_app: Any, clock: FakeClock
) -> None:
    await _seed(committed_app, clock, capacity=10)
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
        made = [
            (await client.post("/api/events/side-event/registrations", json=signup_body())).json()
            for _ in range(20)
        ]
        holders = [m for m in made if m["status"] == "confirmed"]
        tokens = [h["manage_url"].rsplit("/", 1)[1] for h in holders]
        await asyncio.gather(*(client.post(f"/api/registrations/{t}/cancel") for t in tokens))
        event = (await client.get("/api/events/side-event")).json()
    assert event["seats_left"] == 0
    async with committed_app.state.sessionmaker() as session:
        stored = list(await session.scalars(select(Registration)))
    assert sum(r.status == RegistrationStatus.confirmed for r in stored) == 10
    assert sum(r.status == RegistrationStatus.waitlisted for r in stored) == 0
