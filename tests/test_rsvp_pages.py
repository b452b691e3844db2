"""The RSVP pages (`/i/{token}`) without a browser: what each shows, and how posts are answered."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent
from tests.fixtures.invitations import Invite, rsvp_token
from tests.html import parse
from tests.test_pages import hidden_fields

ACCEPT = {
    "given_name": "Ada",
    "family_name": "Colau",
    "organisation": "City of Barcelona",
    "job_title": "Mayor",
    "affiliation_type": "local_government",
    "country": "ES",
    "has_un_grounds_pass": "no",
    "accessibility_needs": "",
    "language": "es",
    "consent": "true",
}


async def invitation_path(invite: Invite, **fields: Any) -> str:
    return f"/i/{rsvp_token(await invite(**fields))}"


async def post(
    client: httpx.AsyncClient, path: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open the action's form page (the invitation's own for accept), then send it."""
    form_page = path if action == "accept" else f"{path}/{action}"
    form = await client.get(form_page)
    return await client.post(f"{path}/{action}", data=hidden_fields(form.text) | fields)


async def api_view(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/invitations/{path.rsplit('/', 1)[1]}")).json()
    return body


async def test_the_invitation_shows_the_event_the_note_the_deadline_and_a_prefilled_form(
    make_event: MakeEvent, invite: Invite, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(contact_email="sideevent@jmdi.example")
    path = await invitation_path(
        invite, message="We would be honoured by your presence.", companions_allowed=2
    )
    page = parse((await client.get(path)).text)
    assert page.one("h1").text == "Your invitation"
    assert "Local Government" in page.one("h2", lang="en").text
    assert page.one("p", id="organisers-note").text == "We would be honoured by your presence."
    # The deadline (the event's start), in the event's time zone.
    assert page.one("dd", id="deadline").text == (
        "Friday, 4 October 2013, 13:15 (Eastern Daylight Time)"
    )
    assert page.one("input", name="given_name").attrs["value"] == "Ada"
    assert page.one("input", name="organisation").attrs["value"] == "City of Barcelona"
    assert "selected" in page.one("option", value="local_government").attrs
    # The address is shown, never a field.
    assert not page.find_all("input", name="email")
    assert page.find_all("input", name="companion_2_given_name")
    assert not page.find_all("input", name="companion_3_given_name")
    assert page.find_all("a", href="mailto:sideevent@jmdi.example")


async def test_accepting_with_a_guest_leads_to_the_manage_page_listing_them(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite, companions_allowed=2)
    guest = {
        "companion_1_given_name": "Pau",
        "companion_1_family_name": "Serra",
        "companion_1_has_un_grounds_pass": "no",
    }
    response = await post(client, path, "accept", ACCEPT | guest)
    assert response.status_code == 303
    manage = response.headers["location"]
    assert manage.startswith("/r/") and manage.endswith("?done=accepted")
    page = parse((await client.get(manage)).text)
    assert "Thank you for accepting the invitation." in page.one("div", class_="notice").text
    assert "Your place is confirmed" in page.one("h1").text
    guests = page.one("ul", id="guests")
    assert "Pau Serra" in guests.text
    assert (await api_view(client, path))["status"] == "accepted"

    # The invitation's page now says it is answered.
    again = parse((await client.get(path)).text)
    assert again.one("h1").text == "You have accepted this invitation"


async def test_an_invitee_removes_a_guest_from_the_manage_page(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite, companions_allowed=1)
    guest = {
        "companion_1_given_name": "Pau",
        "companion_1_family_name": "Serra",
        "companion_1_has_un_grounds_pass": "yes",
    }
    manage = (await post(client, path, "accept", ACCEPT | guest)).headers["location"]
    page = await client.get(manage)
    form = parse(page.text).one("form", class_="inline-form")
    response = await client.post(form.attrs["action"], data=hidden_fields(page.text))
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=guest-removed")
    after = parse((await client.get(response.headers["location"])).text)
    assert "removed" in after.one("ul", id="guests").text
    assert not after.find_all("form", class_="inline-form")


async def test_guest_errors_are_on_their_fields_and_the_form_keeps_what_was_typed(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite, companions_allowed=1)
    sent = ACCEPT | {"family_name": "", "companion_1_given_name": "Pau"}
    response = await post(client, path, "accept", sent)
    assert response.status_code == 422
    page = parse(response.text)
    links = {
        a.attrs["href"]: a.text
        for a in page.find_all("a")
        if a.attrs.get("href", "").startswith("#") and a.attrs["href"] not in {"#main", "#accept"}
    }
    assert links == {
        "#family_name": "Enter your family name",
        "#companion_1_family_name": "Enter your guest’s family name",
        "#companion_1_has_un_grounds_pass": "Select yes if your guest has a UN grounds pass",
    }
    assert page.one("input", name="companion_1_given_name").attrs["value"] == "Pau"
    assert (await api_view(client, path))["status"] == "pending"


async def test_declining_with_a_note(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite)
    form = parse((await client.get(f"{path}/decline")).text)
    assert form.one("h1").text == "Decline the invitation"
    response = await post(client, path, "decline", {"note": "Travelling that week."})
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=declined"
    page = parse((await client.get(response.headers["location"])).text)
    assert page.one("h1").text == "You have declined this invitation"
    assert page.one("div", id="status").attrs["role"] == "status"
    view = await api_view(client, path)
    assert (view["status"], view["decline_note"]) == ("declined", "Travelling that week.")


async def test_delegating_names_the_delegate(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite)
    delegate = {
        "email": "deputy@barcelona.example",
        "given_name": "Jordi",
        "family_name": "Martí",
        "language": "fr",
    }
    response = await post(client, path, "delegate", delegate)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=delegated"
    page = parse((await client.get(response.headers["location"])).text)
    assert page.one("h1").text == "You have passed this invitation on"
    assert "It was passed on to Jordi Martí." in page.text
    assert (await api_view(client, path))["status"] == "delegated"


async def test_delegating_to_oneself_is_an_error_on_the_address(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    invitation = await invite()
    path = f"/i/{rsvp_token(invitation)}"
    sent = {"email": invitation["email"], "given_name": "A", "family_name": "B", "language": "en"}
    response = await post(client, path, "delegate", sent)
    assert response.status_code == 422
    assert parse(response.text).one("a", href="#email").text.startswith("Enter the address")


async def test_a_personal_invitation_cannot_be_passed_on(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite, allow_delegation=False)
    page = parse((await client.get(path)).text)
    assert not page.find_all("a", href=f"{path}/delegate")
    assert parse((await client.get(f"{path}/delegate")).text).one("h1").text == (
        "This invitation is personal"
    )


async def test_past_the_deadline_the_page_says_so_and_whom_to_ask(
    make_event: MakeEvent, invite: Invite, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(contact_email="sideevent@jmdi.example")
    path = await invitation_path(invite, respond_by=(clock.now() + timedelta(days=1)).isoformat())
    form = await client.get(path)
    clock.advance(days=2)
    page = parse((await client.get(path)).text)
    assert page.one("h1").text == "The deadline to answer has passed"
    assert page.find_all("a", href="mailto:sideevent@jmdi.example")
    # A form kept open until after the deadline is answered with that page.
    response = await client.post(f"{path}/accept", data=hidden_fields(form.text) | ACCEPT)
    assert response.status_code == 409
    assert parse(response.text).one("h1").text == "The deadline to answer has passed"


async def test_a_withdrawn_invitation_says_so(
    event: object, invite: Invite, client: httpx.AsyncClient, owner_headers: dict[str, str]
) -> None:
    invitation = await invite()
    await client.post(
        f"/api/admin/events/side-event/invitations/{invitation['id']}/revoke", headers=owner_headers
    )
    page = parse((await client.get(f"/i/{rsvp_token(invitation)}")).text)
    assert page.one("h1").text == "This invitation has been withdrawn"


async def test_answering_twice_shows_the_first_answer(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite)
    form = await client.get(f"{path}/decline")
    await client.post(f"{path}/decline", data=hidden_fields(form.text))
    response = await client.post(f"{path}/decline", data=hidden_fields(form.text))
    assert response.status_code == 409
    assert parse(response.text).one("h1").text == "You have declined this invitation"


async def test_an_unknown_invitation_link_is_a_page_with_a_way_on(
    event: object, client: httpx.AsyncClient
) -> None:
    response = await client.get("/i/no-such-token")
    assert response.status_code == 404
    page = parse(response.text)
    assert page.one("h1").text == "This link is not valid"
    assert page.one("a", id="onward").attrs["href"].startswith("/events/")


async def test_a_post_without_its_csrf_token_changes_nothing(
    event: object, invite: Invite, client: httpx.AsyncClient
) -> None:
    path = await invitation_path(invite)
    response = await client.post(f"{path}/accept", data=ACCEPT)
    assert response.status_code == 403
    assert "the form had expired" in response.text
    assert (await api_view(client, path))["status"] == "pending"


@pytest.mark.parametrize("lang", ["fr", "es", "ar", "zh", "ru"])
async def test_the_invitation_is_in_the_page_language(
    event: object, invite: Invite, client: httpx.AsyncClient, lang: str
) -> None:
    path = await invitation_path(invite)
    page = parse((await client.get(f"{path}?lang={lang}")).text)
    assert page.one("html").attrs["lang"] == lang
    assert page.one("h1").text != "Your invitation"
