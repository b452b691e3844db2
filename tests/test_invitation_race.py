"""Held seats under concurrency, through the real per-request transactions: invitees
accepting at the same moment as the public signs up for the seats left."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.events.seed import seed_event
from app.invitations.schemas import InvitationCreate
from app.invitations.service import Issued, create_invitations
from app.kit.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models import EventCounters, Registration, RegistrationStatus
from app.models.waitlist import load_positions
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.invitations import accept_body

INVITEES = 50
PUBLIC = 200
CAPACITY = 150  # 50 invitees holding 2 seats each (themselves and one guest): 50 free


async def _invite(app: Any, clock: FakeClock) -> list[Issued]:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(capacity=CAPACITY), now=clock.now())
        rows = [
            InvitationCreate(
                email=f"invitee{n}@mission.example.org",
                given_name="Amina",
                family_name=f"Diallo {n}",
                companions_allowed=1,
            )
            for n in range(INVITEES)
        ]
        made = await create_invitations(
            session, event_slug="side-event", rows=rows, actor=None, now=clock.now()
        )
    assert isinstance(made, list)
    return made


@pytest.fixture
async def patient_app(
    make_database: Callable[[], Awaitable[str]], settings: Settings, clock: FakeClock
) -> AsyncIterator[Any]:
    """As `committed_app`, but a request waits for a pooled connection as long as the
    race lasts on a loaded machine (250 at once over 20 connections), not 30 s."""
    engine = create_engine(await make_database(), pool_size=10, pool_timeout=300)
    app = create_app(settings, clock=clock)
    app.state.sessionmaker = create_sessionmaker(engine, settings=settings)
    yield app
    await engine.dispose()


@pytest.mark.slow
async def test_50_invitees_and_200_public_sign_ups_at_once_keep_every_held_seat(
    patient_app: Any, clock: FakeClock
) -> None:
    committed_app = patient_app
    invitations = await _invite(committed_app, clock)
    guest = {"given_name": "Omar", "family_name": "Ba", "has_un_grounds_pass": False}
    # Half bring their guest; the other half's second seat is freed as they accept.
    accepts = [
        (f"/api/invitations/{one.token}/accept", accept_body(companions=[guest] if n % 2 else []))
        for n, one in enumerate(invitations)
    ]
    public = [
        ("/api/events/side-event/registrations", signup_body(email=f"public{n}@example.org"))
        for n in range(PUBLIC)
    ]
    requests = [item for pair in zip(public[:INVITEES], accepts, strict=True) for item in pair]
    requests += public[INVITEES:]
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=600) as client:
        responses = await asyncio.gather(*(client.post(path, json=body) for path, body in requests))

    assert [r.status_code for r in responses] == [201] * len(requests), {
        r.status_code: r.text for r in responses if r.status_code != 201
    }
    invitees = [r.json() for r in responses if "/invitations/" in str(r.request.url)]
    assert len(invitees) == INVITEES
    # No invitee with held seats was refused a seat, nor their guest.
    assert all(one["status"] == "confirmed" for one in invitees)
    guests = [g for one in invitees for g in one["companions"]]
    assert len(guests) == INVITEES // 2
    assert all(g["status"] == "confirmed" for g in guests)

    async with committed_app.state.sessionmaker() as session:
        stored = list(await session.scalars(select(Registration)))
        await load_positions(session, stored)
        counters = await session.get_one(EventCounters, stored[0].event_id)
    public_rows = [r for r in stored if r.invitation_id is None]
    confirmed_public = sum(r.status == RegistrationStatus.confirmed for r in public_rows)
    # The public gets exactly the rest: capacity less the invitees and their guests.
    assert confirmed_public == CAPACITY - INVITEES - INVITEES // 2
    waiting = sorted(r.waitlist_position or 0 for r in public_rows if r.status == "waitlisted")
    assert waiting == list(range(1, PUBLIC - confirmed_public + 1))
    assert sum(r.status == RegistrationStatus.confirmed for r in stored) == CAPACITY
    assert (counters.confirmed, counters.held) == (CAPACITY, 0)
