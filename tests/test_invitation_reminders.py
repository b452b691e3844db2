"""Reminders to invitees who have not answered, on the fake clock: each sent once at its
time (`invitation_reminders` before the invitation's own `respond_by`), in the
invitee's language with a working RSVP link; re-timed by an extension; none for an
invitation answered, revoked or past its deadline."""

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.mail.i18n import moment_time, texts
from app.models import DeliveryState, JobKind, Language, MailKind, OutboxMessage, ScheduledJob
from app.privacy.housekeeping import due_work
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent, event_fields
from tests.fixtures.invitations import Invite, accept_body, rsvp_token
from tests.fixtures.mail import SendQueued, SmtpServer, Tick

STARTS = datetime(2013, 10, 4, 17, 15, tzinfo=UTC)  # the factory's event
TWO_DAYS_BEFORE = STARTS - timedelta(days=2)  # the default reminder, before the default deadline
ADMIN = "/api/admin/events/side-event/invitations"
_RSVP = re.compile(r"http://rsvp\.test/i/([A-Za-z0-9_-]+)")
# Written out per language, so a catalog that only echoes English fails.
SUBJECTS = {
    "en": "Reminder: please answer the invitation to {title}",
    "es": "Recordatorio: responda a la invitación a {title}",
    "fr": "Rappel : merci de répondre à l’invitation à {title}",
    "ar": "تذكير: يُرجى الرد على الدعوة إلى {title}",
    "zh": "提醒：请答复{title}的邀请",
    "ru": "Напоминание: пожалуйста, ответьте на приглашение на {title}",
}


def reminders(smtp: SmtpServer) -> list[EmailMessage]:
    return [m for m in smtp.handler.messages if str(m["Subject"]).startswith(("Remind", "Record"))]


def reminded(smtp: SmtpServer) -> list[str]:
    return sorted(str(m["To"].addresses[0].addr_spec) for m in reminders(smtp))


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def outbox_states(sessionmaker: async_sessionmaker[AsyncSession]) -> list[DeliveryState]:
    async with sessionmaker() as session:
        query = select(OutboxMessage.state).where(
            OutboxMessage.kind == MailKind.invitation_reminder
        )
        return list(await session.scalars(query))


MoveEvent = Callable[[datetime], Awaitable[None]]


@pytest.fixture
def move_event(
    client: httpx.AsyncClient, auth_headers: Callable[..., Awaitable[dict[str, str]]]
) -> MoveEvent:
    """Moves the side-event to start at a time (an hour long), as its owner."""

    async def move(starts: datetime) -> None:
        headers = await auth_headers()  # signed in afresh: the clock may have moved on
        when = {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        }
        response = await client.patch("/api/admin/events/side-event", json=when, headers=headers)
        assert response.status_code == 200

    return move


async def test_a_reminder_is_sent_once_at_its_time_and_not_before(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    ana = await invite(email="ana@example.org", language="es")
    await invite(email="ben@example.org", language="en")
    await tick()
    smtp_server.handler.forget()  # the invitations

    clock.current = TWO_DAYS_BEFORE - timedelta(seconds=1)
    await tick()
    assert reminders(smtp_server) == []

    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminded(smtp_server) == ["ana@example.org", "ben@example.org"]
    for _ in range(3):
        clock.advance(hours=6)
        await tick()
    assert len(reminders(smtp_server)) == 2

    # In the invitee's language, the deadline in the venue's time, a link of its own.
    (spanish,) = [m for m in reminders(smtp_server) if m["To"].addresses[0].username == "ana"]
    assert str(spanish["Subject"]) == SUBJECTS["es"].format(title=event_fields().title)
    assert spanish["Content-Language"] == "es"
    text = plain(spanish)
    assert moment_time(STARTS, "America/New_York", "es") in text
    (token,) = set(_RSVP.findall(text))
    assert token != rsvp_token(ana)
    # Both the reminder's link and the invitation's first one open the invitation.
    for link in (token, rsvp_token(ana)):
        response = await client.get(f"/api/invitations/{link}")
        assert response.status_code == 200
        assert response.json()["id"] == ana["id"]
    html = spanish.get_body(("html",))
    assert html is not None
    assert f"/i/{token}" in html.get_content()


async def test_an_extension_re_times_the_reminder(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    owner_headers: dict[str, str],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    early = STARTS - timedelta(days=10)
    made = await invite(email="ana@example.org", respond_by=early.isoformat())
    response = await client.post(
        f"{ADMIN}/{made['id']}/extend",
        json={"respond_by": STARTS.isoformat()},
        headers=owner_headers,
    )
    assert response.status_code == 200
    await tick()
    smtp_server.handler.forget()

    clock.current = early - timedelta(days=2)  # the old deadline's reminder: not sent
    await tick()
    assert reminders(smtp_server) == []
    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]


async def test_an_expired_invitation_extended_is_reminded_of_its_new_deadline(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    auth_headers: Callable[..., Awaitable[dict[str, str]]],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    early = clock.now() + timedelta(days=3)
    made = await invite(email="ana@example.org", respond_by=early.isoformat())
    clock.current = early - timedelta(days=2)
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]
    clock.current = early + timedelta(hours=1)
    await tick()  # expired
    response = await client.post(
        f"{ADMIN}/{made['id']}/extend",
        json={"respond_by": STARTS.isoformat()},
        headers=await auth_headers("owner"),  # signed in after the clock moved
    )
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminded(smtp_server) == ["ana@example.org", "ana@example.org"]


async def test_an_answered_or_revoked_invitation_gets_no_reminder(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    owner_headers: dict[str, str],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    made = {name: await invite(email=f"{name}@example.org") for name in ("ana", "ben", "cy", "dee")}
    accepted = await client.post(
        f"/api/invitations/{rsvp_token(made['ana'])}/accept", json=accept_body()
    )
    assert accepted.status_code == 201
    declined = await client.post(f"/api/invitations/{rsvp_token(made['ben'])}/decline")
    assert declined.status_code == 200
    revoked = await client.post(f"{ADMIN}/{made['cy']['id']}/revoke", headers=owner_headers)
    assert revoked.status_code == 200
    await tick()
    smtp_server.handler.forget()

    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminded(smtp_server) == ["dee@example.org"]


async def test_a_reminder_queued_before_the_answer_is_not_sent(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_settings: Settings,
    clock: FakeClock,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    made = await invite(email="ana@example.org")
    await send_queued()
    smtp_server.handler.forget()
    clock.current = TWO_DAYS_BEFORE
    await due_work(mail_settings)(sessionmaker, clock.now())  # queued, not yet sent
    declined = await client.post(f"/api/invitations/{rsvp_token(made)}/decline")
    assert declined.status_code == 200
    await send_queued()

    assert reminders(smtp_server) == []
    assert await outbox_states(sessionmaker) == [DeliveryState.suppressed]


async def test_a_reminder_is_never_sent_after_the_deadline(
    make_event: MakeEvent,
    invite: Invite,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_settings: Settings,
    clock: FakeClock,
    tick: Tick,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    deadline = clock.now() + timedelta(days=5)
    await invite(email="ana@example.org", respond_by=deadline.isoformat())
    await invite(email="ben@example.org")
    await tick()
    smtp_server.handler.forget()

    # Ana's reminder queued at its time, but the sending is down until her deadline.
    clock.current = deadline - timedelta(days=2)
    await due_work(mail_settings)(sessionmaker, clock.now())
    clock.current = deadline
    await send_queued()
    assert reminders(smtp_server) == []
    assert await outbox_states(sessionmaker) == [DeliveryState.suppressed]

    # The worker down from before Ben's reminder until his deadline: none made at all.
    clock.current = STARTS + timedelta(minutes=1)
    await tick()
    assert reminders(smtp_server) == []
    assert await outbox_states(sessionmaker) == [DeliveryState.suppressed]


async def test_only_reminders_still_to_come_are_planned_and_the_durations_are_editable(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    auth_headers: Callable[..., Awaitable[dict[str, str]]],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    deadline = clock.now() + timedelta(days=1)  # its P2D reminder's time is past
    await invite(email="late@example.org", respond_by=deadline.isoformat())
    response = await client.patch(
        "/api/admin/events/side-event",
        json={"invitation_reminders": ["P2D", "PT12H"]},
        headers=await auth_headers(),
    )
    assert response.status_code == 200
    assert response.json()["invitation_reminders"] == ["P2D", "PT12H"]
    await tick()
    smtp_server.handler.forget()

    clock.current = deadline - timedelta(hours=12, seconds=1)
    await tick()
    assert reminders(smtp_server) == []
    clock.current = deadline - timedelta(hours=12)
    await tick()
    assert reminded(smtp_server) == ["late@example.org"]


async def test_of_reminders_due_together_one_is_sent(
    make_event: MakeEvent,
    invite: Invite,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event(invitation_reminders=["P3D", "P2D", "P1D"])
    await invite(email="ana@example.org")
    await tick()
    smtp_server.handler.forget()

    clock.current = STARTS - timedelta(hours=30)  # the worker was down for P3D and P2D
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]
    clock.current = STARTS - timedelta(days=1)
    await tick()
    assert reminded(smtp_server) == ["ana@example.org", "ana@example.org"]


async def test_a_called_off_event_reminds_nobody(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    owner_headers: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    await invite(email="ana@example.org")
    response = await client.post("/api/admin/events/side-event/cancel", headers=owner_headers)
    assert response.status_code == 200
    async with sessionmaker() as session:
        kinds = await session.scalars(select(ScheduledJob.kind))
        assert JobKind.invitation_reminder not in list(kinds)

    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminders(smtp_server) == []


async def test_a_resend_retires_the_reminders_link(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    auth_headers: Callable[..., Awaitable[dict[str, str]]],
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    made = await invite(email="ana@example.org")
    clock.current = TWO_DAYS_BEFORE
    await tick()
    (message,) = reminders(smtp_server)
    (token,) = set(_RSVP.findall(plain(message)))
    resent = await client.post(f"{ADMIN}/{made['id']}/resend", headers=await auth_headers("owner"))
    assert resent.status_code == 200

    for old in (token, rsvp_token(made)):
        response = await client.get(f"/api/invitations/{old}")
        assert response.status_code == 404
        assert response.json()["code"] == "invalid_token"
    response = await client.get(f"/api/invitations/{rsvp_token(resent.json())}")
    assert response.status_code == 200


async def test_a_moved_event_keeps_the_deadline_and_sends_nothing_after_its_start(
    make_event: MakeEvent,
    invite: Invite,
    client: httpx.AsyncClient,
    move_event: MoveEvent,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event()
    made = await invite(email="ana@example.org")  # respond_by: the start, as it was then
    await move_event(STARTS - timedelta(days=3))
    shown = await client.get(f"/api/invitations/{rsvp_token(made)}")
    assert shown.json()["respond_by"] == made["respond_by"]
    await tick()
    smtp_server.handler.forget()

    # Its reminder (two days before the deadline) now falls after the start: not sent.
    clock.current = TWO_DAYS_BEFORE
    await tick()
    assert reminders(smtp_server) == []


async def test_an_event_moved_back_to_its_date_sends_the_reminders_still_to_come(
    make_event: MakeEvent,
    invite: Invite,
    move_event: MoveEvent,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
) -> None:
    await make_event(invitation_reminders=["P2D", "P1D"])
    await invite(email="ana@example.org")  # respond_by: the start

    # Brought forward: at the first reminder's time the event has begun, so none goes.
    await move_event(STARTS - timedelta(days=3))
    clock.current = TWO_DAYS_BEFORE
    await tick()
    smtp_server.handler.forget()
    # Moved back to its date: the reminder a day before the deadline is still to come.
    await move_event(STARTS)
    clock.current = STARTS - timedelta(days=1, seconds=1)
    await tick()
    assert reminders(smtp_server) == []
    clock.current = STARTS - timedelta(days=1)
    await tick()
    assert reminded(smtp_server) == ["ana@example.org"]


@pytest.mark.parametrize("language", [language.value for language in Language])
async def test_the_reminder_reaches_the_smtp_server_in_each_language(
    make_event: MakeEvent,
    invite: Invite,
    clock: FakeClock,
    tick: Tick,
    smtp_server: SmtpServer,
    language: str,
) -> None:
    title = "Migration & <Development>"
    await make_event(title=title)
    made = await invite(email="ana@example.org", language=language, companions_allowed=1)
    await tick()
    smtp_server.handler.forget()
    clock.current = TWO_DAYS_BEFORE
    await tick()

    (message,) = smtp_server.handler.messages
    deadline = moment_time(STARTS, "America/New_York", language)
    written = texts(
        language,
        MailKind.invitation_reminder,
        name=f"{made['given_name']} {made['family_name']}",
        title=title,
        organisers="JMDI, UNITAR, KNOMAD",
        contact="",
        position="",
        code="",
        deadline=deadline,
        companions=1,
        other="",
    )
    assert message["Content-Language"] == language
    assert str(message["Subject"]) == written["subject"]
    assert str(message["Subject"]) == SUBJECTS[language].format(title=title)
    text = plain(message)
    assert written["lead"] in text
    assert deadline in text
    (token,) = set(_RSVP.findall(text))
    html = message.get_body(("html",))
    assert html is not None
    page = html.get_content()
    assert f"/i/{token}?lang={language}" in page
    assert "Migration &amp; &lt;Development&gt;" in page
    assert ('dir="rtl"' in page) == (language == "ar")
