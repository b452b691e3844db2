"""Input no form would send: every answer is a 4xx in the contract's shape, never a 500.

The client here sees what a production client sees: an unhandled exception in the
app is a 500 response, not an exception in the test.
"""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration
from tests.fixtures.app import BASE_URL, Signup
from tests.fixtures.factories import AuthHeaders, signup_body

SIGNUP = "/api/events/side-event/registrations"
JSON = {"content-type": "application/json"}


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert "detail" in response.json()


def cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": NaN}',
        b'{"x": Infinity}',
        b'{"email": "\\ud800"}',
        b'{"given_name": "\\udfff", "email": "a@example.org"}',
    ],
    ids=["NaN", "Infinity", "lone surrogate in email", "lone surrogate in a name"],
)
async def test_json_that_strict_json_cannot_echo_is_a_validation_error(
    event: object, client: httpx.AsyncClient, session: AsyncSession, raw: bytes
) -> None:
    assert_refused(await client.post(SIGNUP, content=raw, headers=JSON), 422, "validation_error")
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize(
    "path",
    ["/api/events/side%00event", "/api/events/" + "a" * 81, "/api/events/Side-Event"],
    ids=["NUL", "overlong", "upper case"],
)
async def test_an_event_address_that_cannot_exist_is_not_found(
    event: object, client: httpx.AsyncClient, path: str
) -> None:
    assert_refused(await client.get(path), 404, "not_found")


async def test_an_event_page_address_with_nul_is_not_found(
    event: object, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/events/x%00")).status_code == 404


@pytest.mark.parametrize(
    "token", ["a" * 500, "%00", "%ED%A0%80"], ids=["overlong", "NUL", "encoded surrogate"]
)
async def test_a_token_that_cannot_exist_is_invalid_token(
    client: httpx.AsyncClient, token: str
) -> None:
    assert_refused(await client.get(f"/api/registrations/{token}"), 404, "invalid_token")


async def test_a_name_that_normalising_lengthens_past_the_limit_is_refused(
    event: object, signup: Signup
) -> None:
    # U+FB2C is one character that NFC turns into three.
    response = await signup(given_name="\ufb2c" * 100)
    assert_refused(response, 422, "validation_error")


async def test_an_organisation_that_case_folding_lengthens_is_accepted(
    event: object, signup: Signup
) -> None:
    assert (await signup(organisation="ß" * 200)).status_code == 201


@pytest.mark.parametrize("local", ["İnci", "ÉLODIE", "ǅemal"])
async def test_a_repeat_signup_from_a_non_ascii_address_is_already_registered(
    event: object, signup: Signup, local: str
) -> None:
    assert (await signup(email=f"{local}@example.org")).status_code == 201
    assert_refused(await signup(email=f"{local}@example.org"), 409, "already_registered")


async def test_a_nul_in_the_sign_in_name_is_refused_cleanly(client: httpx.AsyncClient) -> None:
    """No account can have that address: refused as a wrong address or password is."""
    response = await client.post(
        "/api/auth/token", data={"username": "a\x00@example.org", "password": "whatever"}
    )
    assert_refused(response, 401, "unauthorized")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # Search words are cleaned like the text they search: the NUL is dropped.
        ("/api/admin/events/side-event/registrations?q=a%00b", 200),
        ("/api/admin/events/side-event/registrations.csv?q=a%00b", 200),
        # No event can have that address.
        ("/api/admin/events/x%00/stats", 404),
    ],
)
async def test_organiser_reads_with_nul_characters_do_not_fail(
    event: object, client: httpx.AsyncClient, auth_headers: AuthHeaders, path: str, status: int
) -> None:
    response = await client.get(path, headers=await auth_headers("viewer"))
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "value",
    [
        cursor("2013-09-02T14:00:00+00:00", 5),
        cursor("0001-01-01T00:00:00+05:00", "00000000-0000-0000-0000-000000000000"),
        cursor("2013-09-02T14:00:00", "00000000-0000-0000-0000-000000000000"),
        cursor("2013-09-02T14:00:00+00:00", "not-a-uuid"),
        "%%%",
    ],
    ids=["numeric id", "year one", "naive time", "bad id", "not base64"],
)
async def test_a_cursor_we_did_not_issue_is_invalid_cursor(
    event: object, client: httpx.AsyncClient, auth_headers: AuthHeaders, value: str
) -> None:
    response = await client.get(
        "/api/admin/events/side-event/registrations",
        params={"cursor": value},
        headers=await auth_headers("viewer"),
    )
    assert_refused(response, 400, "invalid_cursor")


async def test_an_audit_cursor_beyond_the_database_integers_is_invalid_cursor(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    response = await client.get(
        "/api/admin/audit",
        params={"cursor": cursor("2013-09-02T14:00:00+00:00", "9" * 40)},
        headers=await auth_headers("viewer"),
    )
    assert_refused(response, 400, "invalid_cursor")


def new_event(**overrides: Any) -> dict[str, Any]:
    body = {
        "slug": "round-table",
        "title": "Round table",
        "starts_at": "2013-10-04T13:15:00-04:00",
        "ends_at": "2013-10-04T14:45:00-04:00",
        "timezone": "America/New_York",
        "venue": "Conference Room 6",
        "capacity": 10,
    }
    return body | overrides


@pytest.mark.parametrize(
    "overrides",
    [
        {"capacity": 2**40},
        {"max_per_organisation": 2**40},
        {"starts_at": "0001-01-01T00:00:00+05:00", "ends_at": "0001-01-01T01:00:00+05:00"},
        {"organisers": ["x" * 201]},
        {"title": "   "},
    ],
    ids=["capacity", "organisation limit", "year one", "long organiser", "blank title"],
)
async def test_an_event_the_database_could_not_hold_is_a_validation_error(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, overrides: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/admin/events", json=new_event(**overrides), headers=await auth_headers("owner")
    )
    assert_refused(response, 422, "validation_error")


async def test_a_title_with_a_line_break_is_kept_on_one_line_so_signups_work(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    response = await client.post(
        "/api/admin/events",
        json=new_event(title="Part one\nPart two"),
        headers=await auth_headers("owner"),
    )
    assert response.json()["title"] == "Part one Part two"
    signup = await client.post("/api/events/round-table/registrations", json=signup_body())
    assert signup.status_code == 201


async def test_a_ticket_code_with_a_lone_surrogate_is_not_a_valid_string(
    event: object, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    response = await client.post(
        "/api/admin/events/side-event/check-in",
        content=b'{"ticket_code": "\\ud800"}',
        headers={**await auth_headers("staff"), **JSON},
    )
    # Not text (a lone surrogate is no Unicode character): refused by validation.
    assert_refused(response, 422, "validation_error")
    assert "code" in response.json()
