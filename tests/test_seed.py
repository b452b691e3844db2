"""`rsvp seed` at start-up must not undo organisers' edits; a plain seed edits like they do."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import SYSTEM_ACTOR
from app.events.seed import SeedOutcome, seed_event
from app.models import AuditEntry, MailKind, OutboxMessage
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, event_fields


async def _outbox_kinds(session: AsyncSession) -> list[MailKind]:
    return list(await session.scalars(select(OutboxMessage.kind)))


async def _audit(session: AsyncSession) -> list[tuple[str, str]]:
    query = select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id)
    return [(actor, action) for actor, action in await session.execute(query)]


async def test_seed_if_missing_keeps_the_dashboard_edit_and_tells_nobody(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> None:
    await signup()
    edit = {"venue": "Conference Room 4", "capacity": 200}
    headers = await auth_headers("owner")
    assert (
        await client.patch("/api/admin/events/side-event", json=edit, headers=headers)
    ).is_success
    async with sessionmaker() as session:
        mails_before, audit_before = await _outbox_kinds(session), await _audit(session)

    # What the container runs at each start.
    async with sessionmaker() as session, session.begin():
        result = await seed_event(session, event_fields(), now=clock.now(), if_missing=True)
    assert result.outcome == SeedOutcome.kept

    shown = (await client.get("/api/events/side-event")).json()
    assert (shown["venue"], shown["capacity"]) == ("Conference Room 4", 200)
    async with sessionmaker() as session:
        assert await _outbox_kinds(session) == mails_before
        assert await _audit(session) == audit_before


async def test_seed_if_missing_creates_an_event_that_does_not_exist(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, client: httpx.AsyncClient
) -> None:
    async with sessionmaker() as session, session.begin():
        result = await seed_event(session, event_fields(), now=clock.now(), if_missing=True)
    assert result.outcome == SeedOutcome.created
    assert (await client.get("/api/events/side-event")).status_code == 200
    async with sessionmaker() as session:
        assert await _audit(session) == [(SYSTEM_ACTOR, "event.create")]


async def test_plain_seed_is_an_audited_edit_that_promotes_and_announces(
    signup: Signup,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> None:
    async with sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(capacity=1), now=clock.now())
    await signup()
    waiting = (await signup()).json()
    assert waiting["status"] == "waitlisted"

    async with sessionmaker() as session, session.begin():
        fields = event_fields(capacity=2, venue="Conference Room 4")
        result = await seed_event(session, fields, now=clock.now())
    assert (result.outcome, result.promoted) == (SeedOutcome.updated, 1)

    async with sessionmaker() as session:
        (update,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "event.update")
        )
        assert update.actor == SYSTEM_ACTOR
        assert update.before == {"venue": event_fields().venue, "capacity": 1}
        assert update.after["venue"] == "Conference Room 4"
        assert len(update.after["promoted"]) == 1
        kinds = await _outbox_kinds(session)
    assert kinds.count(MailKind.event_changed) == 2  # the seated one and the promoted one


async def test_plain_seed_of_an_unchanged_event_writes_nothing(
    event: object, sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    async with sessionmaker() as session:
        audit_before = await _audit(session)
    async with sessionmaker() as session, session.begin():
        result = await seed_event(session, event_fields(), now=clock.now())
    assert result.outcome == SeedOutcome.unchanged
    async with sessionmaker() as session:
        assert await _audit(session) == audit_before
