"""Signing in to the dashboard: the session cookie, signing out, CSRF, roles, `next`."""

from typing import Any

import httpx
import pytest

from app.config import Settings, parse_limits
from app.dashboard.auth import safe_next
from app.dashboard.sessions import COOKIE
from app.events.schemas import EventFields
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.dashboard import SIGN_IN, SignedIn, csrf_in, sign_in_through_the_form
from tests.fixtures.factories import ORGANISER_PASSWORD, MakeOrganiser
from tests.html import parse


def set_cookie_header(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header


async def test_admin_shows_the_sign_in_form_when_signed_out(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.one("h1").text == "Sign in"
    assert page.one("input", name="next").attrs["value"] == "/admin"
    assert page.one("input", name="csrf_token").attrs["value"]
    assert page.one("input", name="password").attrs["autocomplete"] == "current-password"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_signing_in_sets_a_strict_http_only_session_cookie_and_shows_the_events(
    make_organiser: MakeOrganiser,
    client: httpx.AsyncClient,
    event: EventFields,
    settings: Settings,
) -> None:
    owner = await make_organiser("owner", email="owner@jmdi.example")
    response = await sign_in_through_the_form(client, "Owner@JMDI.example")
    assert (response.status_code, response.headers["location"]) == (303, "/admin")
    cookie = set_cookie_header(response, COOKIE).lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/admin" in cookie
    assert f"max-age={int(settings.organiser_token_hours * 3600)}" in cookie
    # Over plain http a Secure cookie would never come back.
    assert "secure" not in [part.strip() for part in cookie.split(";")]

    events = await client.get("/admin")
    page = parse(events.text)
    assert page.one("h1").text == "Events"
    assert page.one("a", href=f"/admin/events/{event.slug}").text == event.title
    assert f"Signed in as {owner.email} (owner)" in page.text
    assert page.find_all("form", action="/admin/sign-out")


async def test_the_session_cookie_is_secure_when_the_site_is_https(
    make_organiser: MakeOrganiser, app: Any, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"base_url": "https://rsvp.test"})
    owner = await make_organiser("owner")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://rsvp.test") as browser:
        response = await sign_in_through_the_form(browser, owner.email)
    assert response.status_code == 303
    assert "secure" in [
        part.strip() for part in set_cookie_header(response, COOKIE).lower().split(";")
    ]


async def test_a_wrong_password_shows_the_form_again_with_the_error(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    owner = await make_organiser("owner")
    response = await sign_in_through_the_form(client, owner.email, "wrong password!")
    assert response.status_code == 401
    page = parse(response.text)
    assert page.one("a", href="#email").text == "Wrong e-mail address or password."
    assert page.one("input", name="email").attrs["value"] == owner.email
    assert COOKIE not in response.cookies
    assert (await client.get("/admin/events")).status_code == 303


async def test_failed_sign_ins_share_the_api_s_throttle(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient, app: Any, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_login_account": parse_limits("3/15 minutes"),
        }
    )
    owner = await make_organiser("owner")
    for _ in range(2):
        api = await client.post(
            "/api/auth/token", data={"username": owner.email, "password": "guess"}
        )
        assert api.status_code == 401
    assert (await sign_in_through_the_form(client, owner.email, "guess")).status_code == 401
    # Three failures, two through the API: even the right password now waits.
    response = await sign_in_through_the_form(client, owner.email)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in parse(response.text).text
    assert COOKIE not in response.cookies


async def test_signing_out_revokes_the_session(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    await signed_in("viewer")
    token = client.cookies[COOKIE]
    events = await client.get("/admin")
    response = await client.post("/admin/sign-out", data={"csrf_token": csrf_in(events.text)})
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/admin/sign-in?done=signed-out",
    )
    assert COOKIE not in client.cookies
    assert (
        "You have signed out." in parse((await client.get(response.headers["location"])).text).text
    )
    # The old cookie, kept by someone, opens nothing any more.
    client.cookies.set(COOKIE, token, domain="rsvp.test", path="/admin")
    again = await client.get("/admin/events")
    assert (again.status_code, again.headers["location"]) == (
        303,
        "/admin/sign-in?next=%2Fadmin%2Fevents",
    )


async def test_a_session_expires_with_the_bearer_tokens_lifetime(
    signed_in: SignedIn, client: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    await signed_in("viewer")
    clock.advance(hours=settings.organiser_token_hours, seconds=-1)
    assert (await client.get("/admin/events")).status_code == 200
    clock.advance(seconds=1)
    assert (await client.get("/admin/events")).status_code == 303


async def test_a_session_is_no_bearer_token_and_a_bearer_token_no_session(
    signed_in: SignedIn, client: httpx.AsyncClient, make_organiser: MakeOrganiser
) -> None:
    await signed_in("owner")
    session_token = client.cookies[COOKIE]
    api = await client.get(
        "/api/admin/events", headers={"Authorization": f"Bearer {session_token}"}
    )
    assert api.status_code == 401
    viewer = await make_organiser("viewer")
    issued = await client.post(
        "/api/auth/token", data={"username": viewer.email, "password": ORGANISER_PASSWORD}
    )
    client.cookies.clear()
    client.cookies.set(COOKIE, issued.json()["access_token"], domain="rsvp.test", path="/admin")
    assert (await client.get("/admin/events")).status_code == 303


async def test_a_signed_out_get_goes_to_the_sign_in_form_and_comes_back(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient, event: EventFields
) -> None:
    wanted = "/admin/events?lang=fr"
    response = await client.get(wanted)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"{SIGN_IN}?next=%2Fadmin%2Fevents%3Flang%3Dfr"
    form = parse((await client.get(location)).text)
    assert form.one("input", name="next").attrs["value"] == wanted
    owner = await make_organiser("owner")
    signed = await sign_in_through_the_form(client, owner.email, next_path=wanted)
    assert signed.headers["location"] == wanted
    # Signed in, the sign-in form itself sends on to `next`.
    again = await client.get(location)
    assert (again.status_code, again.headers["location"]) == (303, wanted)


async def test_a_post_without_a_session_is_401_with_a_way_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    form = await client.get("/admin")
    response = await client.post("/admin/sign-out", data={"csrf_token": csrf_in(form.text)})
    assert response.status_code == 401
    page = parse(response.text)
    assert page.one("h1").text == "Please sign in"
    assert page.one("a", href=SIGN_IN).text == "Sign in"


@pytest.mark.parametrize(
    "token", [None, "", "0" * 64, "forged"], ids=["missing", "empty", "wrong", "garbage"]
)
async def test_a_forged_post_is_refused_and_changes_nothing(
    signed_in: SignedIn, client: httpx.AsyncClient, token: str | None
) -> None:
    await signed_in("owner")
    data = {} if token is None else {"csrf_token": token}
    response = await client.post("/admin/sign-out", data=data)
    assert response.status_code == 403
    assert "did not come from this site" in parse(response.text).text
    assert (await client.get("/admin/events")).status_code == 200  # still signed in


async def test_a_token_from_another_session_is_refused(
    signed_in: SignedIn, make_organiser: MakeOrganiser, client: httpx.AsyncClient, app: Any
) -> None:
    await signed_in("viewer")
    theirs = csrf_in((await client.get("/admin")).text)
    owner = await make_organiser("owner")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        assert (await sign_in_through_the_form(other, owner.email)).status_code == 303
        response = await other.post("/admin/sign-out", data={"csrf_token": theirs})
        assert response.status_code == 403
        assert (await other.get("/admin/events")).status_code == 200


async def test_the_sign_in_form_needs_its_token_too(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    owner = await make_organiser("owner")
    await client.get(SIGN_IN)
    response = await client.post(
        SIGN_IN, data={"email": owner.email, "password": ORGANISER_PASSWORD}
    )
    assert response.status_code == 403
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/admin/events/side-event?lang=fr", True),
        ("/admin", True),
        ("https://evil.example/admin", False),
        ("//evil.example/admin", False),
        ("/\\evil.example", False),
        ("/admin\\..\\x", False),
        ("/admin@evil.example", False),
        ("/events/side-event", False),
        ("javascript:alert(1)", False),
        ("/admin/\nSet-Cookie: x", False),
        ("", False),
    ],
)
def test_next_is_only_ever_a_dashboard_path(target: str, kept: bool) -> None:
    assert safe_next(target) == (target if kept else "/admin")


async def test_an_open_redirect_through_next_is_refused(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    form = parse((await client.get(SIGN_IN, params={"next": "https://evil.example/"})).text)
    assert form.one("input", name="next").attrs["value"] == "/admin"
    owner = await make_organiser("owner")
    response = await sign_in_through_the_form(client, owner.email, next_path="//evil.example/x")
    assert (response.status_code, response.headers["location"]) == (303, "/admin")


async def test_the_pages_speak_french_and_arabic_right_to_left(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    sign_in_fr = parse((await client.get(SIGN_IN, params={"lang": "fr"})).text)
    assert sign_in_fr.one("html").attrs == {"lang": "fr", "dir": "ltr"}
    assert sign_in_fr.one("h1").text == "Se connecter"
    await signed_in("viewer")
    events_ar = parse((await client.get("/admin", params={"lang": "ar"})).text)
    assert events_ar.one("html").attrs == {"lang": "ar", "dir": "rtl"}


async def test_a_viewer_sees_no_desk_but_the_invitations_they_may_read(
    signed_in: SignedIn, client: httpx.AsyncClient, event: EventFields
) -> None:
    await signed_in("viewer")
    page = parse((await client.get(f"/admin/events/{event.slug}")).text)
    links = {a.attrs["href"] for a in page.find_all("a")}
    base = f"/admin/events/{event.slug}"
    assert {base, f"{base}/registrations", f"{base}/exports", f"{base}/audit"} <= links
    assert f"{base}/invitations" in links  # the list and each invitation, as in the API
    assert f"{base}/desk" not in links


async def test_staff_and_owners_see_the_desk_and_the_invitations(
    signed_in: SignedIn, client: httpx.AsyncClient, event: EventFields
) -> None:
    base = f"/admin/events/{event.slug}"
    await signed_in("staff")
    staff = {a.attrs["href"] for a in parse((await client.get(base)).text).find_all("a")}
    assert {f"{base}/desk", f"{base}/invitations"} <= staff
    client.cookies.clear()
    await signed_in("owner")
    owner = {a.attrs["href"] for a in parse((await client.get(base)).text).find_all("a")}
    assert {f"{base}/desk", f"{base}/invitations"} <= owner
