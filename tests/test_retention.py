"""Retention: what `rsvp purge` deletes, and what it keeps."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AccessToken, AuditEntry, Event, OutboxMessage, Registration
from app.registrations.retention import purge
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, event_fields

YEAR = timedelta(days=365)


async def count(session: AsyncSession, model: type, **where: object) -> int:
    query = select(func.count()).select_from(model).filter_by(**where)
    return await session.scalar(query) or 0


@pytest.fixture
async def old_and_new(make_event: MakeEvent, signup: Signup, clock: FakeClock) -> None:
    """The 2013 side-event with two attendees, and a later event with one."""
    await make_event(slug="side-event")
    await make_event(
        slug="next-year",
        starts_at=event_fields().starts_at + YEAR,
        ends_at=event_fields().ends_at + YEAR,
    )
    await signup("side-event")
    await signup("side-event")
    await signup("next-year")


async def test_attendees_of_an_event_past_retention_are_deleted(
    old_and_new: None, session: AsyncSession, clock: FakeClock
) -> None:
    clock.current = event_fields().ends_at + timedelta(days=181)
    report = await purge(session, now=clock.now(), keep=timedelta(days=180))
    assert report.events == ["side-event"]
    assert report.registrations == 2
    assert report.emails == 2
    assert await count(session, Registration) == 1
    assert await count(session, OutboxMessage) == 1
    assert await count(session, Event) == 2


async def test_nothing_is_deleted_within_retention(
    old_and_new: None, session: AsyncSession, clock: FakeClock
) -> None:
    clock.current = event_fields().ends_at + timedelta(days=179)
    report = await purge(session, now=clock.now(), keep=timedelta(days=180))
    assert (report.events, report.registrations) == ([], 0)
    assert await count(session, Registration) == 3


async def test_audit_entries_of_a_purged_event_go_with_it(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    created = (await signup()).json()
    path = f"/api/admin/events/side-event/registrations/{created['id']}/cancel"
    await client.post(path, headers=await auth_headers("owner"))
    event_id = await session.scalar(select(Event.id).where(Event.slug == "side-event"))
    # The event's creation (by the `event` fixture, as `rsvp seed` would) and the cancel.
    assert await count(session, AuditEntry, event_id=event_id) == 2
    clock.current = event_fields().ends_at + 2 * YEAR
    report = await purge(session, now=clock.now(), keep=YEAR)
    assert report.audit_entries == 2
    assert await count(session, AuditEntry, event_id=event_id) == 0


async def test_expired_and_revoked_organiser_tokens_are_deleted(
    auth_headers: AuthHeaders, session: AsyncSession, clock: FakeClock
) -> None:
    await auth_headers("viewer")
    assert await count(session, AccessToken) == 1
    report = await purge(session, now=clock.now(), keep=YEAR)
    assert report.access_tokens == 0
    clock.advance(days=2)
    report = await purge(session, now=clock.now(), keep=YEAR)
    assert report.access_tokens == 1
    assert await count(session, AccessToken) == 0
