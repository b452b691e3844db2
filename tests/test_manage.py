"""The registrant's own record: read, edit, cancel, calendar and ticket, by secret token."""

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import MailKind
from tests.fixtures.app import Signup, own_path
from tests.fixtures.factories import MakeEvent, MakeRegistration
from tests.fixtures.mail import manage_url_in, queued_messages


async def test_own_record_is_readable_by_token(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    created = (await signup(email="mayor@cuenca.example")).json()
    response = await client.get(own_path(created))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "mayor@cuenca.example"
    assert body["ticket_code"] == created["ticket_code"]
    assert body["manage_url"] == created["manage_url"]


async def test_unknown_token_is_invalid_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/registrations/not-a-real-token")
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_token"


async def test_edit_changes_the_given_details_only(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    created = (await signup()).json()
    response = await client.patch(
        own_path(created), json={"job_title": "Deputy Mayor", "accessibility_needs": "Ramp, please"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["job_title"] == "Deputy Mayor"
    assert body["accessibility_needs"] == "Ramp, please"
    assert body["given_name"] == created["given_name"]


@pytest.mark.parametrize(
    "change",
    [
        {"email": "other@example.org"},
        {"status": "confirmed"},
        {"given_name": None},
        {"given_name": "x" * 101},
        {"country": "ZZ"},
    ],
    ids=["email", "status", "null name", "overlong name", "bad country"],
)
async def test_edit_refuses_what_may_not_change(
    event: object, signup: Signup, client: httpx.AsyncClient, change: dict[str, object]
) -> None:
    created = (await signup()).json()
    response = await client.patch(own_path(created), json=change)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert (await client.get(own_path(created))).json() == created


async def test_edit_into_a_full_organisation_is_refused(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(max_per_organisation=1)
    await signup(organisation="UNITAR")
    other = (await signup(organisation="KNOMAD")).json()
    response = await client.patch(own_path(other), json={"organisation": "unitar"})
    assert response.status_code == 409
    assert response.json()["code"] == "org_limit_reached"


async def test_cancel_frees_the_seat(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=1)
    created = (await signup()).json()
    response = await client.post(own_path(created, "/cancel"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["ticket_code"] is None
    assert (await client.get("/api/events/side-event")).json()["seats_left"] == 1


async def test_cancelling_a_confirmed_seat_promotes_waitlist_position_one(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_event(capacity=1)
    holder = (await signup()).json()
    first, second, third = [(await signup()).json() for _ in range(3)]
    await client.post(own_path(holder, "/cancel"))

    # The promotion e-mail carries a manage link of its own (the database keeps only digests).
    (promotion,) = await queued_messages(session, first["email"], MailKind.promoted)
    promoted = (await client.get(own_path({"manage_url": manage_url_in(promotion)}))).json()
    assert (promoted["status"], promoted["waitlist_position"]) == ("confirmed", None)
    assert promoted["ticket_code"]
    assert (await client.get(own_path(second))).json()["waitlist_position"] == 1
    assert (await client.get(own_path(third))).json()["waitlist_position"] == 2


async def test_leaving_the_waitlist_moves_those_behind_forward(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=0)
    first, second, third = [(await signup()).json() for _ in range(3)]
    await client.post(own_path(second, "/cancel"))
    assert (await client.get(own_path(first))).json()["waitlist_position"] == 1
    assert (await client.get(own_path(third))).json()["waitlist_position"] == 2


async def test_cancelled_record_stays_readable_but_is_final(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    created = (await signup()).json()
    await client.post(own_path(created, "/cancel"))
    assert (await client.get(own_path(created))).json()["status"] == "cancelled"
    for response in (
        await client.post(own_path(created, "/cancel")),
        await client.patch(own_path(created), json={"job_title": "Mayor"}),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"


async def test_a_registrant_who_has_checked_in_cannot_cancel_their_seat(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    registration, token = await make_registration("checked_in")
    response = await client.post(f"/api/registrations/{token}/cancel")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["stage"]) == ("invalid_transition", "checked_in")
    assert "checked in" in body["detail"]
    assert registration.checked_in_at is not None
    assert body["checked_in_at"] == registration.checked_in_at.isoformat()
    mine = (await client.get(f"/api/registrations/{token}")).json()
    assert mine["status"] == "confirmed"
    # Their details stay theirs to correct.
    edited = await client.patch(f"/api/registrations/{token}", json={"job_title": "Mayor"})
    assert edited.status_code == 200


async def test_calendar_file_has_the_event_in_its_time_zone(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    created = (await signup()).json()
    response = await client.get(own_path(created, "/calendar.ics"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    (entry,) = calendar.walk("VEVENT")
    start = entry.decoded("dtstart")
    assert start == datetime(2013, 10, 4, 13, 15, tzinfo=ZoneInfo("America/New_York"))
    assert str(entry["dtstart"].params["TZID"]) == "America/New_York"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"
    assert str(entry["location"]) == "Conference Room 6, United Nations Headquarters, New York"
    assert str(entry["summary"]).startswith("Local Government")
    again = icalendar.Calendar.from_ical(
        (await client.get(own_path(created, "/calendar.ics"))).content
    )
    assert again.walk("VEVENT")[0]["uid"] == entry["uid"]
    assert created["id"] in str(entry["uid"])


async def test_ticket_is_a_qr_svg_once_confirmed(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    created = (await signup()).json()
    response = await client.get(own_path(created, "/ticket.svg"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.lstrip().startswith("<?xml")
    assert "<svg" in response.text


async def test_ticket_is_not_found_while_waitlisted(
    make_event: MakeEvent, signup: Signup, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=0)
    created = (await signup()).json()
    response = await client.get(own_path(created, "/ticket.svg"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
