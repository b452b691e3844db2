"""Reminders: planned per event in the database, sent once at their time by the worker,
re-timed when the event moves, dropped when it is called off or a registration ends."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.events.seed import EventFileError, load_event_file
from app.models import DeliveryState, JobKind, MailKind, OutboxMessage, ScheduledJob
from app.privacy.housekeeping import due_work
from tests.fixtures.app import Signup, own_path
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent
from tests.fixtures.mail import SendQueued, SmtpServer, Tick

STARTS = datetime(2013, 10, 4, 17, 15, tzinfo=UTC)  # the factory's event
DAY_BEFORE = STARTS - timedelta(days=1)


def reminders(smtp: SmtpServer) -> list[EmailMessage]:
    return [
        m
        for m in smtp.handler.messages
        if str(m["Subject"]).startswith(("Reminder", "Recordatorio"))
    ]


def reminded(smtp: SmtpServer) -> list[str]:
    return sorted(str(m["To"].addresses[0].addr_spec) for m in reminders(smtp))


async def test_a_reminder_is_sent_once_at_its_time_and_not_before(
    event: object, signup: Signup, clock: FakeClock, tick: Tick, smtp_server: SmtpServer
) -> None:
    ana = (await signup(email="ana@example.org", language="es")).json()
    await signup(email="ben@example.org", language="en")
    await tick()
    smtp_server.handler.forget()  # the confirmations

    clock.current = DAY_BEFORE - timedelta(seconds=1)
    await tick()
    assert reminders(smtp_server) == []

    clock.current = DAY_BEFORE
    await tick()
    assert reminded(smtp_server) == ["ana@example.org", "ben@example.org"]
    for _ in range(3):
        clock.advance(minutes=10)
        await tick()
    assert len(reminders(smtp_server)) == 2

    # In the registrant's language, with the ticket (QR inline, PDF) and an updated entry.
    (spanish,) = [m for m in reminders(smtp_server) if m["To"].addresses[0].username == "ana"]
    assert spanish["Subject"].startswith("Recordatorio")
    assert spanish["Content-Language"] == "es"
    parts = {part.get_content_type() for part in spanish.walk()}
    assert {"text/plain", "text/html", "image/png", "text/calendar", "application/pdf"} <= parts
    (ics,) = [p for p in spanish.walk() if p.get_content_type() == "text/calendar"]
    assert "METHOD:PUBLISH" in ics.get_content()
    text = spanish.get_body(("plain",))
    assert text is not None
    assert ana["manage_url"].rsplit("/", 1)[1] not in text.get_content()  # a link of its own
    assert "/r/" in text.get_content()


async def test_a_moved_event_re_times_what_has_not_been_sent(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await signup(email="ana@example.org")
    later = STARTS + timedelta(days=2)
    response = await client.patch(
        "/api/admin/events/side-event",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
        headers=await auth_headers(),
    )
    assert response.status_code == 200
    await tick()
    smtp_server.handler.forget()

    clock.current = DAY_BEFORE
    await tick()
    assert reminders(smtp_server) == []
    clock.current = later - timedelta(days=1)
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]


async def test_a_cancelled_registration_gets_no_reminder_even_one_already_queued(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_settings: Settings,
    clock: FakeClock,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
    session: AsyncSession,
) -> None:
    ana = (await signup(email="ana@example.org")).json()
    ben = (await signup(email="ben@example.org")).json()
    carla = (await signup(email="carla@example.org")).json()
    assert (await client.post(own_path(ana, "/cancel"))).status_code == 200
    await send_queued()
    smtp_server.handler.forget()

    clock.current = DAY_BEFORE
    await due_work(mail_settings)(sessionmaker, clock.now())  # queued, not sent yet
    assert (await client.post(own_path(ben, "/cancel"))).status_code == 200
    await send_queued()

    assert reminded(smtp_server) == ["carla@example.org"]
    rows = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == MailKind.reminder,
            OutboxMessage.recipient == "ben@example.org",
        )
    )
    (dropped,) = rows.all()
    assert dropped.state == DeliveryState.suppressed
    assert dropped.last_error == "not sent: the registration is no longer confirmed"
    assert carla["status"] == "confirmed"


async def test_a_called_off_event_sends_no_reminder(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
    session: AsyncSession,
) -> None:
    await signup(email="ana@example.org")
    response = await client.post(
        "/api/admin/events/side-event/cancel", headers=await auth_headers()
    )
    assert response.status_code == 200
    clock.current = DAY_BEFORE
    await tick()
    assert reminders(smtp_server) == []
    assert (await session.scalars(select(ScheduledJob))).all() == []


async def test_the_worker_down_until_the_start_sends_no_late_reminder(
    event: object, signup: Signup, clock: FakeClock, tick: Tick, smtp_server: SmtpServer
) -> None:
    await signup(email="ana@example.org")
    clock.current = STARTS
    await tick()
    assert reminders(smtp_server) == []


async def test_only_future_reminders_are_planned_and_each_is_editable(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
    session: AsyncSession,
) -> None:
    soon = clock.now() + timedelta(hours=12)
    await make_event(starts_at=soon, ends_at=soon + timedelta(hours=1), reminders=["P1D", "PT2H"])
    await signup(email="ana@example.org")
    jobs = (await session.scalars(select(ScheduledJob))).all()
    # A day before is already past: only the two-hour reminder is planned.
    assert [(job.kind, job.before_seconds) for job in jobs] == [(JobKind.reminder, 7200)]

    response = await client.patch(
        "/api/admin/events/side-event",
        json={"reminders": ["PT30M", "pt2h"]},
        headers=await auth_headers(),
    )
    assert response.status_code == 200
    assert response.json()["reminders"] == ["PT30M", "PT2H"]
    await tick()
    smtp_server.handler.forget()
    clock.current = soon - timedelta(hours=2)
    await tick()
    clock.current = soon - timedelta(minutes=30)
    await tick()
    assert reminded(smtp_server) == ["ana@example.org", "ana@example.org"]


async def test_of_reminders_due_together_only_the_nearest_the_start_is_sent(
    make_event: MakeEvent, signup: Signup, clock: FakeClock, tick: Tick, smtp_server: SmtpServer
) -> None:
    await make_event(reminders=["P1W", "P1D"])
    await signup(email="ana@example.org")
    await tick()
    smtp_server.handler.forget()
    clock.current = DAY_BEFORE + timedelta(hours=1)  # the worker was down for a week
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]


@pytest.mark.parametrize(
    "reminders",
    [
        ["P1M"],
        ["P1Y"],
        ["1D"],
        ["P"],
        ["PT"],
        ["P0D"],
        ["P400D"],
        ["PT1.5S"],
        ["P99999999999999999999D"],
        ["P1D", "p1d"],
        ["P1D"] * 11,
        "P1D",
        [1],
        None,
    ],
)
async def test_bad_reminders_are_422_and_change_nothing(
    event: object, client: httpx.AsyncClient, auth_headers: AuthHeaders, reminders: Any
) -> None:
    headers = await auth_headers()
    for field in ("reminders", "invitation_reminders"):
        response = await client.patch(
            "/api/admin/events/side-event", json={field: reminders}, headers=headers
        )
        assert response.status_code == 422, response.text
        assert "detail" in response.json()
    shown = (await client.get("/api/admin/events", headers=headers)).json()
    (only,) = shown if isinstance(shown, list) else shown["items"]
    assert (only["reminders"], only["invitation_reminders"]) == (["P1D"], ["P2D"])


def test_the_data_file_takes_reminders_and_refuses_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "events.toml"
    event = """
[[events]]
slug = "side-event"
title = "Side-event"
starts_at = 2013-10-04T13:15:00
ends_at = 2013-10-04T14:45:00
timezone = "America/New_York"
venue = "Conference Room 6"
capacity = 10
"""
    good.write_text(
        event + 'reminders = ["P1W", "PT2H"]\ninvitation_reminders = ["P3D"]\n'
        'promotion = "offer"\noffer_hours = 12\n'
    )
    (fields,) = load_event_file(good)
    assert (fields.reminders, fields.invitation_reminders) == (["P1W", "PT2H"], ["P3D"])
    assert (fields.promotion, fields.offer_hours) == ("offer", 12)

    bad = tmp_path / "bad.toml"
    bad.write_text(event + 'reminders = ["P1M"]\n')
    with pytest.raises(EventFileError, match="reminders"):
        load_event_file(bad)
