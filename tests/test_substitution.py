"""Substitution: a registrant passes their place to a colleague from their manage link.

The seat changes hands and nothing else moves: counts stay exact, nobody is
promoted, the substitute takes the original's status and waitlist place, and
both are told by e-mail (real SMTP). The audit log, the CSV and the security
list show who replaced whom.
"""

import csv
import io
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, parse_limits
from app.models import EventCounters, MailKind, OutboxMessage, Registration, RegistrationStatus
from tests.fixtures.app import Signup, own_path, ticket_shown, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import (
    AuthHeaders,
    MakeEvent,
    MakeRegistration,
    event_fields,
    signup_body,
)
from tests.fixtures.mail import SendQueued, SmtpServer, manage_url_in
from tests.test_mail_messages import calendar_of, text_of
from tests.test_security_list import build, names
from tests.ticket_reading import attachment

COLLEAGUE = {
    "email": "deputy@cuenca.example",
    "given_name": "Rosa",
    "family_name": "Guamán",
    "job_title": "Deputy Director",
    "affiliation_type": "local_government",
    "country": "EC",
    "language": "en",
    "has_un_grounds_pass": False,
    "accessibility_needs": "Step-free access",
    "consent": True,
}


def colleague(**overrides: Any) -> dict[str, Any]:
    return COLLEAGUE | overrides


async def substitute(
    client: httpx.AsyncClient, registration: dict[str, Any], **overrides: Any
) -> httpx.Response:
    return await client.post(own_path(registration, "/substitute"), json=colleague(**overrides))


async def counters(session: AsyncSession) -> dict[str, int]:
    """The event's counters, as the triggers keep them."""
    row = (
        await session.scalars(select(EventCounters).execution_options(populate_existing=True))
    ).one()
    return {
        name: getattr(row, name)
        for name in ("confirmed", "waitlisted", "pending_approval", "declined", "cancelled")
    }


async def counted(session: AsyncSession) -> dict[str, int]:
    """The same figures counted over the rows."""
    rows = await session.execute(
        select(Registration.status, func.count()).group_by(Registration.status)
    )
    found = {status.value: 0 for status in RegistrationStatus} | {
        status.value: n for status, n in rows
    }
    return {
        name: found[name]
        for name in ("confirmed", "waitlisted", "pending_approval", "declined", "cancelled")
    }


async def status_of(client: httpx.AsyncClient, registration: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(own_path(registration))).json()
    return body


async def test_the_substitute_takes_the_confirmed_seat_and_nobody_is_promoted(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_event(capacity=1, waitlist_enabled=True)
    original = (await signup(organisation="Municipality of Cuenca")).json()
    waiting = (await signup()).json()
    before = await counters(session)

    response = await substitute(client, original)

    assert response.status_code == 201
    taken = response.json()
    assert taken["status"] == "confirmed"
    assert taken["email"] == "deputy@cuenca.example"
    assert (taken["given_name"], taken["family_name"]) == ("Rosa", "Guamán")
    assert taken["organisation"] == "Municipality of Cuenca"
    assert taken["substitute_for"] == original["id"]
    assert taken["manage_url"] != original["manage_url"]
    assert taken["ticket_code"] == await ticket_shown(client, token_of(taken))
    assert (await status_of(client, original))["status"] == "cancelled"
    still = await status_of(client, waiting)
    assert (still["status"], still["waitlist_position"]) == ("waitlisted", 1)
    after = await counters(session)
    assert after == before | {"cancelled": before["cancelled"] + 1}
    assert after == await counted(session)
    event = (await client.get("/api/events/side-event")).json()
    assert event["seats_left"] == 0


async def test_a_waitlisted_substitute_keeps_the_place_in_the_queue(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_event(capacity=0, waitlist_enabled=True)
    first, original, third = [(await signup()).json() for _ in range(3)]
    assert original["waitlist_position"] == 2

    taken = (await substitute(client, original)).json()

    assert (taken["status"], taken["waitlist_position"]) == ("waitlisted", 2)
    assert (await status_of(client, first))["waitlist_position"] == 1
    assert (await status_of(client, third))["waitlist_position"] == 3
    assert (await status_of(client, taken))["waitlist_position"] == 2
    assert await counters(session) == await counted(session)


async def test_a_registration_awaiting_approval_passes_on_awaiting_approval(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_event(approval_required=True)
    original = (await signup()).json()
    taken = (await substitute(client, original)).json()
    assert taken["status"] == "pending_approval"
    assert taken["ticket_code"] is None
    assert await counters(session) == await counted(session)


async def test_the_organisation_is_kept_whatever_the_body_says(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    original = (await signup(organisation="Municipality of Cuenca")).json()
    taken = (await substitute(client, original, organisation="Another Body")).json()
    assert taken["organisation"] == "Municipality of Cuenca"


async def test_a_substitution_after_registration_closed_still_keeps_the_seat(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(registration_closes_at=clock.now() + timedelta(days=1))
    original = (await signup()).json()
    clock.advance(days=2)
    response = await substitute(client, original)
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"


async def test_both_are_told_by_e_mail(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    original = (await signup(email="mayor@cuenca.example", language="en")).json()
    await send_queued()
    smtp_server.handler.forget()

    taken = (await substitute(client, original)).json()
    await send_queued()

    messages = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in smtp_server.handler.messages}
    assert set(messages) == {"deputy@cuenca.example", "mayor@cuenca.example"}
    theirs: EmailMessage = messages["deputy@cuenca.example"]
    assert str(theirs["Subject"]).startswith("A place is yours: Local Government")
    assert "has passed their place to you" in text_of(theirs)
    assert taken["ticket_code"] in text_of(theirs)
    assert attachment(theirs, "application/pdf") is not None
    assert calendar_of(theirs)["METHOD"] == "PUBLISH"
    # The link in the substitute's e-mail opens the substitute's registration.
    link = manage_url_in(theirs)
    own = (await client.get(f"/api/registrations/{link.rsplit('/', 1)[1]}")).json()
    assert own["id"] == taken["id"]

    notice = messages["mayor@cuenca.example"]
    assert str(notice["Subject"]).startswith("Your place is passed on: Local Government")
    assert "has been passed to a colleague" in text_of(notice)
    assert calendar_of(notice)["METHOD"] == "CANCEL"
    assert attachment(notice, "application/pdf") is None


async def test_a_waitlisted_substitute_is_told_their_position(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=0, waitlist_enabled=True)
    await signup()
    original = (await signup()).json()
    await substitute(client, original)
    await send_queued()
    (theirs,) = [m for m in smtp_server.handler.messages if "deputy@" in str(m["To"])]
    assert "You are now on the waitlist, at position 2." in text_of(theirs)
    assert attachment(theirs, "application/pdf") is None


async def test_the_audit_log_records_who_replaced_whom(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
) -> None:
    original = (await signup()).json()
    taken = (await substitute(client, original)).json()
    entries = (await client.get("/api/admin/audit", headers=await auth_headers())).json()["items"]
    entry = entries[0]
    assert (entry["actor"], entry["action"]) == ("registrant", "registration.substitute")
    assert (entry["target_type"], entry["target_id"]) == ("registration", original["id"])
    assert entry["before"] == {"status": "confirmed"}
    assert entry["after"] == {
        "status": "cancelled",
        "substitute_id": taken["id"],
        "substitute_status": "confirmed",
    }


async def test_the_organisers_list_and_csv_show_the_substitute(
    event: object, signup: Signup, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    owner = await auth_headers()
    original = (await signup(family_name="Quispe")).json()
    taken = (await substitute(client, original)).json()
    detail = await client.get(
        f"/api/admin/events/side-event/registrations/{taken['id']}", headers=owner
    )
    assert detail.json()["substitute_for"] == original["id"]

    response = await client.get(
        "/api/admin/events/side-event/registrations.csv",
        params={"columns": "family_name,status,substitute_for"},
        headers=owner,
    )
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows == [
        ["family_name", "status", "substitute_for"],
        ["Quispe", "cancelled", ""],
        ["Guamán", "confirmed", original["id"]],
    ]


async def test_a_late_substitute_is_on_the_security_lists_late_sheet_replacing_the_original(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    original = (await signup(given_name="Ana", family_name="Quispe")).json()
    await signup(given_name="Early", family_name="Guest")
    clock.current = event_fields().starts_at - timedelta(hours=30)
    await substitute(client, original)

    workbook = await build(session)
    assert names(workbook["Requests"]) == [("Guest", "Early")]
    late = workbook["Late requests"]
    assert names(late) == [("Guamán", "Rosa")]
    rows = list(late.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "No.")
    row = dict(zip(header, rows[-1], strict=True))
    assert row["Replaces (substitute for)"] == "Ana Quispe"
    assert row["Late"] == "late"


async def test_an_early_substitute_is_an_on_time_request(
    event: object, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    original = (await signup(given_name="Ana", family_name="Quispe")).json()
    await substitute(client, original)
    workbook = await build(session)
    assert names(workbook["Requests"]) == [("Guamán", "Rosa")]
    assert names(workbook["Late requests"]) == []


# Refusals: each answered in the contract's shape, and nothing changes.


async def unchanged(session: AsyncSession) -> tuple[int, int, int]:
    registrations = await session.scalar(select(func.count()).select_from(Registration))
    messages = await session.scalar(select(func.count()).select_from(OutboxMessage))
    cancelled = await session.scalar(
        select(func.count()).where(Registration.status == RegistrationStatus.cancelled)
    )
    return registrations or 0, messages or 0, cancelled or 0


async def test_the_registrants_own_address_is_already_registered(
    event: object, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    original = (await signup(email="mayor@cuenca.example")).json()
    before = await unchanged(session)
    response = await substitute(client, original, email="MAYOR@cuenca.example")
    assert response.status_code == 409
    assert response.json()["code"] == "already_registered"
    assert await unchanged(session) == before
    assert (await status_of(client, original))["status"] == "confirmed"


async def test_a_colleague_already_registered_cannot_take_the_place(
    event: object, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    original = (await signup()).json()
    await signup(email="deputy@cuenca.example")
    before = await unchanged(session)
    response = await substitute(client, original)
    assert response.status_code == 409
    assert response.json()["code"] == "already_registered"
    assert await unchanged(session) == before


@pytest.mark.parametrize("stage", ["cancelled", "declined", "checked_in", "pending_verification"])
async def test_a_registration_that_holds_no_place_cannot_be_passed_on(
    event: object,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
    session: AsyncSession,
    stage: str,
) -> None:
    _, token = await make_registration(stage)
    before = await unchanged(session)
    response = await client.post(f"/api/registrations/{token}/substitute", json=colleague())
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert await unchanged(session) == before


async def test_a_substitute_cannot_be_substituted_by_the_cancelled_original(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    original = (await signup()).json()
    assert (await substitute(client, original)).status_code == 201
    again = await substitute(client, original, email="third@cuenca.example")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


async def test_an_unknown_token_is_invalid(event: object, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/registrations/no-such-token/substitute", json=colleague())
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in COLLEAGUE.items() if k != "email"},
        colleague(email="not-an-address"),
        colleague(consent=False),
        colleague(consent="true"),
        colleague(given_name=""),
        colleague(affiliation_type="lobbyist"),
        colleague(country="XX"),
        colleague(language="de"),
        colleague(has_un_grounds_pass=None),
        colleague(status="confirmed"),
        colleague(given_name="x" * 101),
        [],
    ],
    ids=[
        "no email",
        "bad email",
        "no consent",
        "consent as text",
        "empty name",
        "unknown affiliation",
        "unknown country",
        "unknown language",
        "grounds pass missing",
        "unknown field",
        "name too long",
        "not an object",
    ],
)
async def test_a_bad_body_is_422_and_changes_nothing(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    body: Any,
) -> None:
    original = (await signup()).json()
    before = await unchanged(session)
    response = await client.post(own_path(original, "/substitute"), json=body)
    assert response.status_code == 422
    assert await unchanged(session) == before


async def test_a_body_that_is_not_json_is_a_clear_4xx(
    event: object, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    original = (await signup()).json()
    before = await unchanged(session)
    response = await client.post(
        own_path(original, "/substitute"),
        content=b"email=deputy%40cuenca.example",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"detail", "code"} or response.status_code == 422
    assert await unchanged(session) == before


async def test_substitutions_are_rate_limited_like_the_registrants_other_writes(
    app: Any, settings: Settings, event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    registrations = [(await signup()).json() for _ in range(3)]
    app.state.settings = settings.model_copy(
        update={"rate_limit_enabled": True, "rate_limit_registrant": parse_limits("2/minute")}
    )
    for n, registration in enumerate(registrations[:2]):
        response = await substitute(client, registration, email=f"colleague-{n}@cuenca.example")
        assert response.status_code == 201
    refused = await substitute(client, registrations[2], email="colleague-2@cuenca.example")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    assert (await status_of(client, registrations[2]))["status"] == "confirmed"


async def test_the_recipient_cap_applies_to_the_substitutes_message(
    app: Any,
    settings: Settings,
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    app.state.settings = settings.model_copy(update={"mail_recipient_cap": 1})
    first = (await signup()).json()
    taken = (await substitute(client, first)).json()
    # A minute on (within the cap's hour), so the two messages' times tell their order.
    clock.advance(minutes=1)
    # The colleague's address has had its one publicly caused message this hour.
    second = (await signup(email="deputy@elsewhere.example")).json()
    again = (await client.post(f"/api/registrations/{token_of(taken)}/cancel")).json()
    assert again["status"] == "cancelled"
    await substitute(client, second)
    states = list(
        await session.scalars(
            select(OutboxMessage.state)
            .where(
                OutboxMessage.recipient == "deputy@cuenca.example",
                OutboxMessage.kind == MailKind.substitute_confirmed,
            )
            .order_by(OutboxMessage.created_at)
        )
    )
    assert [state.value for state in states] == ["pending", "suppressed"]


async def test_a_sign_up_body_with_its_organisation_is_accepted(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    original = (await signup()).json()
    body = signup_body(email="deputy@cuenca.example", organisation="Ignored")
    response = await client.post(own_path(original, "/substitute"), json=body)
    assert response.status_code == 201
    assert response.json()["organisation"] == original["organisation"]
