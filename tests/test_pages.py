"""The HTML pages without a browser: what each shows, and how form posts are answered."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration
from app.web.pages import HtmlErrorRoute
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration
from tests.html import parse

FORM = "/events/side-event"
VALID = {
    "email": "mayor@cuenca.example",
    "given_name": "Ana",
    "family_name": "Quispe",
    "organisation": "Municipality of Cuenca",
    "job_title": "",
    "affiliation_type": "local_government",
    "country": "EC",
    "has_un_grounds_pass": "no",
    "accessibility_needs": "",
    "language": "en",
    "consent": "true",
}


def hidden_fields(html: str) -> dict[str, str]:
    return {e.attrs["name"]: e.attrs["value"] for e in parse(html).find_all("input", type="hidden")}


async def submit(
    client: httpx.AsyncClient, clock: FakeClock, fields: dict[str, str], *, wait: float = 5
) -> httpx.Response:
    """Open the sign-up form, take `wait` seconds to fill it in, and send it."""
    form = await client.get(FORM)
    clock.advance(seconds=wait)
    return await client.post(FORM, data=hidden_fields(form.text) | fields)


async def sign_up(client: httpx.AsyncClient, clock: FakeClock, **fields: str) -> str:
    """Sign up through the form; returns the manage page's path."""
    response = await submit(client, clock, VALID | fields)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0]


async def stored(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Registration)) or 0


# The event page and its form


async def test_form_fields_are_named_like_the_signup_body_and_labelled(
    event: object, client: httpx.AsyncClient
) -> None:
    page = parse((await client.get(FORM)).text)
    for name in VALID:
        control = next(e for e in page.elements if e.attrs.get("name") == name)
        if control.attrs.get("type") != "radio":
            assert page.find_all("label", for_=control.attrs["id"]), f"{name} has no label"
    assert page.one("input", name="email").attrs["autocomplete"] == "email"
    assert page.one("input", name="given_name").attrs["autocomplete"] == "given-name"
    assert page.one("input", name="family_name").attrs["autocomplete"] == "family-name"
    assert page.one("input", name="organisation").attrs["autocomplete"] == "organization"
    assert page.one("select", name="country").attrs["autocomplete"] == "country"
    assert "E-mail address (required)" in page.one("label", for_="email").text
    assert "(required)" not in page.one("label", for_="job_title").text


async def test_event_page_shows_places_left_in_the_event_time_zone(
    event: object, client: httpx.AsyncClient
) -> None:
    text = parse((await client.get(FORM)).text).text
    assert "Friday, 4 October 2013" in text
    assert "120 places left" in text
    assert "Conference Room 6" in text


async def test_full_event_offers_the_waitlist(
    make_event: MakeEvent, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=0)
    page = parse((await client.get(FORM)).text)
    assert "Full: you can join the waitlist." in page.text
    assert page.one("button", type="submit").text == "Join the waitlist"


async def test_closed_event_shows_no_form(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(registration_closes_at=clock.now())
    clock.advance(days=1)
    page = parse((await client.get(FORM)).text)
    assert "Registration is closed." in page.text
    assert not page.find_all("form")


async def test_unknown_event_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/events/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text


async def test_pages_send_security_headers(event: object, client: httpx.AsyncClient) -> None:
    headers = (await client.get(FORM)).headers
    csp = headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


async def test_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


# Signing up


async def test_signup_redirects_to_the_manage_page_with_the_outcome(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    response = await client.get(manage + "?done=signed-up")
    page = parse(response.text)
    assert "Your place is confirmed" in page.one("div", id="status").text
    assert "Thank you for registering" in page.text
    assert page.find_all("img", src=f"/api/registrations/{manage[3:]}/ticket.svg")
    assert page.find_all("a", href=f"/api/registrations/{manage[3:]}/calendar.ics")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_waitlisted_signup_sees_its_position(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(capacity=0)
    await sign_up(client, clock, email="first@example.org")
    page = parse((await client.get(await sign_up(client, clock))).text)
    assert "You are number 2 on the waitlist" in page.text
    assert not page.find_all("img")


async def test_signup_needing_approval_says_what_happens_next(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(approval_required=True)
    text = parse((await client.get(await sign_up(client, clock))).text).text
    assert "Your registration is waiting for approval" in text
    assert "The organisers will review it and tell you by e-mail." in text


async def test_signup_without_a_language_gets_the_page_language(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    await client.get(FORM, params={"lang": "ar"})
    await sign_up(client, clock, language="")
    assert await session.scalar(select(Registration.language)) == "ar"


async def test_second_signup_with_the_same_email_is_told_the_link_was_resent(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await sign_up(client, clock)
    response = await submit(client, clock, VALID | {"email": "MAYOR@cuenca.example"})
    assert response.status_code == 409
    assert "You are already registered" in response.text


async def test_a_refusal_by_the_rules_is_a_page_in_the_visitor_language(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    await make_event(max_per_organisation=1)
    await sign_up(client, clock)
    await client.get(FORM, params={"lang": "es"})
    response = await submit(client, clock, VALID | {"email": "deputy@cuenca.example"})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "Su organización ha alcanzado su límite" in response.text
    assert await stored(session) == 1


async def test_errors_are_summarised_linked_and_tied_to_their_fields(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    sent = VALID | {"email": "not-an-address", "given_name": "", "consent": ""}
    response = await submit(client, clock, sent)
    assert response.status_code == 422
    page = parse(response.text)
    summary = page.one("div", role="alert")
    assert "autofocus" in summary.attrs and summary.attrs["tabindex"] == "-1"
    links = [a.attrs["href"] for a in page.find_all("a") if a.attrs["href"].startswith("#")]
    assert links == ["#main", "#email", "#given_name", "#consent"]
    email = page.one("input", name="email")
    assert email.attrs["aria-describedby"] == "email-hint email-error"
    assert "Enter an e-mail address in the correct format" in page.one("p", id="email-error").text
    assert page.one("p", id="given_name-error").text.strip() == "Error: Enter your given name"
    assert page.one("title").text.startswith("Error:")
    # What was typed is still there.
    assert email.attrs["value"] == "not-an-address"
    assert page.one("input", name="family_name").attrs["value"] == "Quispe"
    assert "selected" in page.one("option", value="EC").attrs
    assert await stored(session) == 0


# Anti-abuse


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h: h | {"csrf_token": "forged"}, id="forged token"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "csrf_token"}, id="no token"),
    ],
)
async def test_post_without_a_valid_csrf_token_is_refused(
    event: object,
    client: httpx.AsyncClient,
    clock: FakeClock,
    session: AsyncSession,
    tamper: Any,
) -> None:
    form = await client.get(FORM)
    clock.advance(seconds=5)
    response = await client.post(FORM, data=tamper(hidden_fields(form.text)) | VALID)
    assert response.status_code == 403
    assert_form_kept_after(response, "the form had expired or your browser did not send its cookie")
    assert await stored(session) == 0


def assert_form_kept_after(response: httpx.Response, refusal: str) -> None:
    """The form is shown again, saying why it was refused, with what was typed in it."""
    page = parse(response.text)
    (summary,) = [e for e in page.find_all("div") if "error-summary" in e.attrs.get("class", "")]
    assert refusal in summary.text
    assert page.one("input", id="email").attrs["value"] == VALID["email"]
    assert page.one("input", id="family_name").attrs["value"] == VALID["family_name"]
    # With a fresh token for this browser, so sending it again works.
    assert page.one("input", name="csrf_token").attrs["value"]


async def test_csrf_token_of_another_browser_is_refused(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    theirs = hidden_fields((await client.get(FORM)).text)
    client.cookies.clear()
    await client.get(FORM)  # this browser gets a cookie of its own
    clock.advance(seconds=5)
    response = await client.post(FORM, data=theirs | VALID)
    assert response.status_code == 403
    assert await stored(session) == 0


async def test_filled_honeypot_is_refused(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    response = await submit(client, clock, VALID | {"website": "http://spam.example"})
    assert response.status_code == 400
    assert_form_kept_after(response, "Please leave the field marked")
    assert await stored(session) == 0


async def test_form_sent_faster_than_a_person_could_is_asked_again(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    response = await submit(client, clock, VALID, wait=1)
    assert response.status_code == 400
    page = parse(response.text)
    assert "Please check your details, then send the form again." in page.text
    assert page.one("input", name="email").attrs["value"] == VALID["email"]
    assert await stored(session) == 0
    clock.advance(seconds=5)
    again = await client.post(FORM, data=hidden_fields(response.text) | VALID)
    assert again.status_code == 303


async def test_form_kept_open_a_day_is_asked_again_not_taken(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    # A stamp harvested once and replayed later: refused, and kindly, as if too fast.
    form = hidden_fields((await client.get(FORM)).text)
    clock.advance(days=30)
    response = await client.post(FORM, data=form | VALID)
    assert response.status_code == 400
    page = parse(response.text)
    assert "Please check your details, then send the form again." in page.text
    assert page.one("input", name="email").attrs["value"] == VALID["email"]
    assert await stored(session) == 0
    clock.advance(seconds=5)  # the form shown again carries a fresh stamp
    again = await client.post(FORM, data=hidden_fields(response.text) | VALID)
    assert again.status_code == 303


async def test_form_filled_slowly_within_a_day_is_taken(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    response = await submit(client, clock, VALID, wait=23 * 3600)
    assert response.status_code == 303


async def test_form_of_one_event_is_not_taken_for_another(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    await make_event()
    await make_event(slug="other-event")
    form = hidden_fields((await client.get(FORM)).text)
    clock.advance(seconds=5)
    response = await client.post("/events/other-event", data=form | VALID)
    assert response.status_code == 400
    assert "Please check your details, then send the form again." in response.text
    assert await stored(session) == 0
    assert (await client.post(FORM, data=form | VALID)).status_code == 303


async def test_other_forms_need_a_csrf_token_too(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    for action in ("/cancel", "/edit"):
        response = await client.post(manage + action, data={"given_name": "Eve"})
        assert response.status_code == 403
        assert "the form had expired" in response.text
    # The edit form comes back with what was typed.
    assert parse(response.text).one("input", id="given_name").attrs["value"] == "Eve"
    assert "Your place is confirmed" in (await client.get(manage)).text


# The manage page


async def test_manage_page_edits_details(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    edit = parse((await client.get(manage + "/edit")).text)
    assert edit.one("input", name="given_name").attrs["value"] == "Ana"
    assert not edit.find_all("input", name="email")
    values = {e.attrs["name"]: e.attrs.get("value", "") for e in edit.find_all("input")}
    values |= {"job_title": "Mayor", "has_un_grounds_pass": "yes", "affiliation_type": "media"}
    response = await client.post(manage + "/edit", data=values)
    assert response.status_code == 303
    assert response.headers["location"] == manage + "?done=updated"
    text = parse((await client.get(response.headers["location"])).text).text
    assert "Your details have been updated." in text
    assert "Mayor" in text and "Media" in text


async def test_manage_page_edit_errors_keep_the_values(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    form = hidden_fields((await client.get(manage + "/edit")).text)
    sent = form | VALID | {"family_name": "", "job_title": "Alcaldesa"}
    response = await client.post(manage + "/edit", data=sent)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.one("a", href="#family_name").text == "Enter your family name"
    assert page.one("input", name="job_title").attrs["value"] == "Alcaldesa"


async def test_cancel_asks_first_then_cancels(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    confirm = await client.get(manage + "/cancel")
    assert "Are you sure you want to cancel your registration?" in confirm.text
    assert "Your place is confirmed" in (await client.get(manage)).text
    response = await client.post(manage + "/cancel", data=hidden_fields(confirm.text))
    assert response.headers["location"] == manage + "?done=cancelled"
    page = parse((await client.get(response.headers["location"])).text)
    assert "Your registration is cancelled" in page.text
    assert not page.find_all("a", href=manage + "/cancel")
    again = await client.get(manage + "/cancel")
    assert again.status_code == 409
    assert "This registration can no longer be changed" in again.text


async def test_a_registrant_who_has_checked_in_is_told_kindly_they_cannot_cancel(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    _, token = await make_registration("checked_in")
    manage = f"/r/{token}"
    page = parse((await client.get(manage)).text)
    assert not page.find_all("a", href=manage + "/cancel")
    confirm = await client.get(manage + "/cancel")
    assert confirm.status_code == 409
    assert "You have already checked in" in confirm.text
    assert "please tell the organisers" in confirm.text
    # A form kept open from before the check-in is refused the same way.
    form = hidden_fields((await client.get(manage + "/edit")).text)
    response = await client.post(manage + "/cancel", data=form)
    assert response.status_code == 409
    assert "You have already checked in" in response.text
    # After check-in the page no longer asks to bring the ticket, nor shows it.
    after = (await client.get(manage)).text
    assert "You have checked in" in after
    assert "Bring a photo ID and this ticket" not in after
    assert "/ticket.svg" not in after and "/ticket.pdf" not in after


async def test_a_non_ascii_csrf_cookie_gets_the_form_expired_page(
    event: object, client: httpx.AsyncClient
) -> None:
    form = hidden_fields((await client.get(FORM)).text)
    client.cookies.clear()
    response = await client.post(
        FORM, data=form | VALID, headers=[(b"cookie", "rsvp_csrf=été".encode())]
    )
    assert response.status_code == 403
    assert_form_kept_after(response, "the form had expired")


async def test_unknown_token_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/r/not-a-token")
    assert response.status_code == 404
    assert "This link is not valid" in response.text


# After a refusal or a change of plans


@pytest.mark.parametrize(
    "stage,says",
    [
        ("confirmed", "Your place will be freed for someone else."),
        ("waitlisted", "You will leave the waitlist."),
        ("pending_approval", "Your registration will be withdrawn before the organisers decide"),
    ],
)
async def test_the_cancel_page_says_what_cancelling_means_for_each_status(
    stage: str,
    says: str,
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=0 if stage == "waitlisted" else 10)
    _, token = await make_registration(stage)
    page = parse((await client.get(f"/r/{token}/cancel")).text)
    assert says in page.text
    if stage != "confirmed":
        assert "waitlist" not in page.text.replace("leave the waitlist", "")


async def test_a_cancelled_registrant_is_linked_to_the_event_page_to_register_again(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    _, token = await make_registration("cancelled")
    page = parse((await client.get(f"/r/{token}?lang=fr")).text)
    assert page.find_all("a", href="/events/side-event?lang=fr")


async def test_no_link_to_register_again_once_registration_has_closed(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    clock: FakeClock,
    make_registration: MakeRegistration,
) -> None:
    await make_event(registration_closes_at=clock.now() + timedelta(days=1))
    _, token = await make_registration("cancelled")
    clock.advance(days=2)
    page = parse((await client.get(f"/r/{token}")).text)
    assert not page.find_all("a", href="/events/side-event?lang=en")


async def test_once_the_event_is_called_off_its_pages_say_so(
    event: object,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
) -> None:
    _, token = await make_registration("confirmed")
    called_off = await client.post(
        "/api/admin/events/side-event/cancel", headers=await auth_headers("owner")
    )
    assert called_off.status_code == 200

    manage = parse((await client.get(f"/r/{token}")).text)
    status = manage.one("div", id="status").text
    assert "This event has been cancelled" in status
    assert "register again" not in status
    assert not manage.find_all("a", href="/events/side-event?lang=en")
    event_page = parse((await client.get(FORM)).text)
    assert event_page.one("dd", id="places").text.strip() == "This event has been cancelled."
    assert not event_page.find_all("form", method="post")
    french = parse((await client.get(f"/r/{token}?lang=fr")).text)
    assert "Cet événement a été annulé" in french.one("div", id="status").text


async def test_an_impossibly_long_token_is_the_not_valid_page(client: httpx.AsyncClient) -> None:
    for path in ("/r/" + "a" * 200, "/r/" + "a" * 200 + "/edit", "/r/" + "a" * 200 + "/cancel"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "This link is not valid" in response.text


async def test_a_form_over_the_body_limit_is_a_page_in_its_language(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    form = await client.get(FORM + "?lang=es")
    clock.advance(seconds=5)
    big = hidden_fields(form.text) | VALID | {"accessibility_needs": "x" * 70_000}
    response = await client.post(FORM + "?lang=es", data=big)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.one("html").attrs["lang"] == "es"
    assert page.one("h1").text == "Su formulario es demasiado largo"


async def test_a_streamed_form_over_the_body_limit_is_a_page(
    event: object, client: httpx.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"accessibility_needs="
        for _ in range(20):
            yield b"x" * 10_000

    response = await client.post(
        FORM,
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "Your form is too long" in parse(response.text).one("h1").text


async def test_a_request_no_page_route_can_read_is_a_page(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # No page parameter is refused by validation today; a new one would be answered thus.
    extra = APIRouter(route_class=HtmlErrorRoute)

    @extra.get("/pages-test/{number}")
    async def numbered(number: int) -> None:  # pragma: no cover - never reached
        raise AssertionError

    app.include_router(extra)
    response = await client.get("/pages-test/not-a-number?lang=ar")
    assert response.status_code == 422
    page = parse(response.text)
    assert page.one("html").attrs["dir"] == "rtl"
    assert page.one("h1").text == "تعذر عرض هذه الصفحة"
