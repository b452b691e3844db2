"""What organisers see of the e-mail, and the e-mails their actions send."""

import httpx

from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent
from tests.fixtures.mail import SendQueued, SmtpServer

ADMIN = "/api/admin/events/side-event"


async def test_a_registrations_detail_lists_its_emails_with_their_delivery(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    send_queued: SendQueued,
) -> None:
    created = (await signup(email="delegate@example.org", language="en")).json()
    await send_queued()
    clock.advance(days=1)
    owner = await auth_headers("owner")
    action = f"{ADMIN}/registrations/{created['id']}/resend-confirmation"
    assert (await client.post(action, headers=owner)).status_code == 200

    detail = await client.get(f"{ADMIN}/registrations/{created['id']}", headers=owner)
    first, second = detail.json()["emails"]
    assert (first["kind"], first["state"], first["attempts"]) == ("confirmed", "sent", 1)
    assert (second["kind"], second["state"], second["attempts"]) == ("confirmed", "pending", 0)
    assert first["recipient"] == "delegate@example.org"
    assert first["subject"].startswith("Registration confirmed")
    assert "body" not in first


async def test_stats_count_the_events_emails_by_delivery_state(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    for _ in range(3):
        await signup()
    smtp_server.handler.refuse_next("550 5.1.1 No such mailbox")
    await send_queued()
    await signup()

    stats = (await client.get(f"{ADMIN}/stats", headers=await auth_headers("viewer"))).json()
    assert stats["emails_by_state"] == {"pending": 1, "sent": 2, "failed": 1, "suppressed": 0}


async def test_approval_into_a_full_event_tells_the_registrant_their_waitlist_position(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=0, approval_required=True)
    created = (await signup(email="delegate@example.org", language="en")).json()
    owner = await auth_headers("owner")
    await client.post(f"{ADMIN}/registrations/{created['id']}/approve", headers=owner)
    await send_queued()
    subjects = sorted(str(m["Subject"]).split(":")[0] for m in smtp_server.handler.messages)
    assert subjects == ["Registration received", "You are on the waitlist"]


async def test_an_organisers_promotion_sends_the_place_with_a_calendar(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=0)
    created = (await signup(email="delegate@example.org", language="en")).json()
    await send_queued()
    owner = await auth_headers("owner")
    await client.post(f"{ADMIN}/registrations/{created['id']}/promote", headers=owner)
    await send_queued()
    promotion = smtp_server.handler.messages[-1]
    assert str(promotion["Subject"]).startswith("A place is yours")
    assert any(p.get_content_type() == "text/calendar" for p in promotion.iter_attachments())


async def test_moving_the_event_sends_every_active_registrant_an_update(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1)
    await signup(email="seated@example.org", language="en")
    await signup(email="waiting@example.org", language="en")
    await send_queued()
    smtp_server.handler.forget()

    owner = await auth_headers("owner")
    moved = await client.patch(ADMIN, json={"venue": "Conference Room 4"}, headers=owner)
    assert moved.status_code == 200
    await client.patch(ADMIN, json={"capacity": 1}, headers=owner)
    await send_queued()

    updates = {m["To"].addresses[0].addr_spec: m for m in smtp_server.handler.messages}
    assert set(updates) == {"seated@example.org", "waiting@example.org"}
    assert all(str(m["Subject"]).startswith("Event updated") for m in updates.values())


async def test_an_owner_calling_the_event_off_cancels_everyone_and_tells_each_once(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1)
    seated, waiting = (await signup()).json(), (await signup()).json()
    await send_queued()
    smtp_server.handler.forget()
    owner = await auth_headers("owner")

    response = await client.post(f"{ADMIN}/cancel", headers=owner)
    assert response.status_code == 200
    assert response.json()["cancelled_at"] is not None
    assert response.json()["registration_open"] is False
    await send_queued()
    assert sorted(smtp_server.handler.recipients) == sorted([seated["email"], waiting["email"]])
    listed = await client.get(f"{ADMIN}/registrations", headers=owner)
    assert {r["status"] for r in listed.json()["items"]} == {"cancelled"}
    again = await client.post(f"{ADMIN}/cancel", headers=owner)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    audit = (await client.get("/api/admin/audit", headers=owner)).json()["items"]
    assert audit[0]["action"] == "event.cancel"
    assert audit[0]["after"]["registrations_cancelled"] == 2
