"""Organiser actions racing each other, through the real per-request transactions."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.auth.bearer import issue_token
from app.models import OrganiserRole
from app.services.event_admin import seed_event
from app.services.organisers import create_organiser
from tests.conftest import BASE_URL, FakeClock, event_fields, signup_body

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
