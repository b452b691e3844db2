"""The registrant's own data: consent recorded, everything held downloadable, erasure."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry, DeliveryState, MailKind, OutboxMessage, Registration
from app.registrations.schemas import CONSENT_VERSION
from tests.fixtures.app import own_path, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration, signup_body
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.html import parse
from tests.test_pages import hidden_fields

SIGNUPS = "/api/events/side-event/registrations"


async def test_the_form_shows_the_consent_version_and_sign_up_records_it(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    page = parse((await client.get("/events/side-event")).text)
    assert f"Consent text version {CONSENT_VERSION}." in page.one("div", id="consent-hint").text
    created = (await client.post(SIGNUPS, json=signup_body())).json()
    data = (await client.get(own_path(created, "/data"))).json()
    assert data["consent"] == {"version": CONSENT_VERSION, "given_at": "2013-09-02T14:00:00Z"}


async def test_the_data_holds_the_record_the_e_mails_and_the_audit_entries(
    event: object,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    send_queued: SendQueued,
    clock: FakeClock,
) -> None:
    created = (await client.post(SIGNUPS, json=signup_body(email="ana@cuenca.example"))).json()
    await send_queued()
    clock.advance(minutes=1)
    headers = await auth_headers("owner")
    resend = f"/api/admin/events/side-event/registrations/{created['id']}/resend-confirmation"
    assert (await client.post(resend, headers=headers)).status_code == 200
    data = (await client.get(own_path(created, "/data"))).json()
    assert data["registration"] == (await client.get(own_path(created))).json()
    assert [(e["kind"], e["state"], e["recipient"]) for e in data["emails"]] == [
        ("confirmed", "sent", "ana@cuenca.example"),
        ("confirmed", "pending", "ana@cuenca.example"),
    ]
    assert data["emails"][0]["subject"].startswith("Inscripción confirmada: ")
    assert [(a["action"], a["by"]) for a in data["audit"]] == [
        ("registration.resend-confirmation", "organiser")
    ]


async def test_erasure_frees_the_seat_and_removes_the_personal_data(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: AuthHeaders,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    await make_event(capacity=1)
    ana = (
        await client.post(
            SIGNUPS,
            json=signup_body(
                email="ana@cuenca.example", job_title="Mayor", accessibility_needs="Ramp"
            ),
        )
    ).json()
    waiting = (await client.post(SIGNUPS, json=signup_body(email="next@cuenca.example"))).json()
    await send_queued()
    smtp_server.handler.forget()

    assert (await client.post(own_path(ana, "/erase"))).status_code == 204
    # The waitlist moved as on a cancellation, and only the promoted person is written to.
    assert (await client.get(own_path(waiting))).json()["status"] == "confirmed"
    await send_queued()
    assert smtp_server.handler.recipients == ["next@cuenca.example"]
    # The link is gone with the data.
    gone = await client.get(own_path(ana))
    assert (gone.status_code, gone.json()["code"]) == (404, "invalid_token")

    row = await session.get(Registration, ana["id"], populate_existing=True)
    assert row is not None
    assert (row.email, row.given_name, row.family_name, row.organisation) == (
        f"{ana['id']}@erased.invalid",
        "",
        "",
        "",
    )
    assert (row.job_title, row.accessibility_needs, row.search_text) == (None, None, "")
    assert row.status == "cancelled" and row.erased_at is not None
    messages = list(
        await session.scalars(select(OutboxMessage).where(OutboxMessage.registration_id == row.id))
    )
    assert {(m.recipient, m.body, m.recipient_key, m.manage_token) for m in messages} == {
        (row.email, None, None, None)
    }
    # The confirmation went before the erasure; what the erasure's cancel queued is never sent.
    # (Both may carry the same fake-clock time, so they are told apart by kind, not by order.)
    assert sorted((m.kind, m.state) for m in messages) == sorted(
        [(MailKind.confirmed, DeliveryState.sent), (MailKind.cancelled, DeliveryState.suppressed)]
    )
    (entry,) = await session.scalars(select(AuditEntry).where(AuditEntry.target_id == str(row.id)))
    assert (entry.action, entry.actor, entry.organiser_id) == (
        "registration.erase",
        "registrant",
        None,
    )
    assert entry.before == {"status": "confirmed"}

    headers = await auth_headers("viewer")
    stats = (await client.get("/api/admin/events/side-event/stats", headers=headers)).json()
    assert (stats["by_status"]["confirmed"], stats["by_status"]["cancelled"]) == (1, 1)
    found = await client.get(
        "/api/admin/events/side-event/registrations", params={"q": "cuenca"}, headers=headers
    )
    assert [r["email"] for r in found.json()["items"]] == ["next@cuenca.example"]
    # The address is free to sign up again.
    again = await client.post(SIGNUPS, json=signup_body(email="ana@cuenca.example"))
    assert (again.status_code, again.json()["status"]) == (201, "waitlisted")


async def test_someone_checked_in_keeps_their_attendance_counted_when_erased(
    event: object,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
) -> None:
    registration, token = await make_registration("checked_in")
    assert (await client.post(f"/api/registrations/{token}/erase")).status_code == 204
    detail = await client.get(
        f"/api/admin/events/side-event/registrations/{registration.id}",
        headers=await auth_headers("viewer"),
    )
    assert (detail.json()["status"], detail.json()["given_name"]) == ("confirmed", "")
    assert detail.json()["checked_in_at"] is not None


async def test_the_manage_page_offers_download_and_erasure_after_a_confirmation(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = (await client.post(SIGNUPS, json=signup_body())).json()
    token = token_of(created)
    manage = parse((await client.get(f"/r/{token}?lang=ru")).text)
    assert manage.one("a", href=f"/api/registrations/{token}/data").text == "Скачать ваши данные"
    assert manage.one("a", href=f"/r/{token}/erase").text == "Удалить ваши данные"
    confirm = await client.get(f"/r/{token}/erase")
    assert "Вы уверены, что хотите удалить свои данные?" in parse(confirm.text).text
    erased = await client.post(f"/r/{token}/erase", data=hidden_fields(confirm.text))
    assert erased.status_code == 200
    assert "Ваши данные удалены" in parse(erased.text).text
    assert (await client.get(f"/r/{token}")).status_code == 404


async def test_erasing_without_the_forms_csrf_token_changes_nothing(
    event: object, client: httpx.AsyncClient
) -> None:
    created = (await client.post(SIGNUPS, json=signup_body())).json()
    refused = await client.post(f"/r/{token_of(created)}/erase", data={})
    assert refused.status_code == 403
    assert (await client.get(own_path(created))).json()["status"] == "confirmed"


async def test_an_unknown_token_is_404_for_data_and_erasure(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/api/registrations/nope/data"),
        await client.post("/api/registrations/nope/erase"),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "invalid_token")
