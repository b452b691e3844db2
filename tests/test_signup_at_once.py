"""The sign-up's short path: the event is read without its lock, and the statement
that inserts takes the lock and the seat together, only if a seat is still left and
the event is as it was read. Here the event changes between the read and the insert
(as another request's commit would change it): the sign-up falls back to deciding
under the lock, and the counters stay exact."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Event, EventCounters, Registration
from app.registrations import service
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent


def change_after_unlocked_read(
    monkeypatch: pytest.MonkeyPatch,
    sessionmaker: async_sessionmaker[AsyncSession],
    **changes: Any,
) -> None:
    """Once the sign-up has read the event without its lock, `changes` are made to it
    (and committed) by another session, before the sign-up's INSERT."""
    peek_event = service._peek_event

    async def read_then_change(*args: Any, **kwargs: Any) -> Any:
        found = await peek_event(*args, **kwargs)
        async with sessionmaker() as other, other.begin():
            await other.execute(update(Event).values(**changes))
        return found

    monkeypatch.setattr(service, "_peek_event", read_then_change)


async def counted(session: AsyncSession) -> tuple[int, int]:
    counters = (await session.scalars(select(EventCounters))).one()
    await session.refresh(counters)
    rows = await session.scalar(
        select(func.count()).select_from(Registration).where(Registration.status == "confirmed")
    )
    return counters.confirmed, rows or 0


async def test_the_last_seat_taken_meanwhile_puts_the_sign_up_on_the_waitlist(
    make_event: MakeEvent,
    signup: Signup,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_event(capacity=2)
    assert (await signup()).json()["status"] == "confirmed"
    # The read sees a seat left; by the INSERT the capacity is the one seat taken.
    change_after_unlocked_read(monkeypatch, sessionmaker, capacity=1)
    body = (await signup()).json()
    assert (body["status"], body["waitlist_position"]) == ("waitlisted", 1)
    assert await counted(session) == (1, 1)


async def test_an_event_changed_meanwhile_is_decided_under_the_lock(
    make_event: MakeEvent,
    signup: Signup,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> None:
    await make_event(capacity=10)
    # An organiser turns approval on after the read: the edit moves `updated_at`.
    change_after_unlocked_read(
        monkeypatch,
        sessionmaker,
        approval_required=True,
        updated_at=clock.now() + timedelta(seconds=1),
    )
    response = await signup()
    assert response.status_code == 201
    assert response.json()["status"] == "pending_approval"
    assert await counted(session) == (0, 0)
