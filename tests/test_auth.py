"""Organiser sign-in, sign-out and the limit on failed sign-ins."""

import asyncio
from typing import Any

import httpx
import pytest

from app.config import Settings, parse_limits
from app.models import OrganiserRole
from app.organisers.accounts import create_organiser
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import ORGANISER_PASSWORD, AuthHeaders, MakeOrganiser

TOKEN = "/api/auth/token"


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"username": username, "password": password})


async def test_signing_in_gives_a_bearer_token_that_works(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_organiser("viewer", email="viewer@jmdi.example")
    response = await sign_in(client, "Viewer@JMDI.example", ORGANISER_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.organiser_token_hours * 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/admin/events", headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("viewer@jmdi.example", "wrong password!"), ("nobody@jmdi.example", ORGANISER_PASSWORD)],
)
async def test_wrong_credentials_are_unauthorized(
    username: str, password: str, make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    await make_organiser("viewer", email="viewer@jmdi.example")
    response = await sign_in(client, username, password)
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_signing_out_revokes_the_token(
    make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    await make_organiser("owner", email="owner@jmdi.example")
    token = (await sign_in(client, "owner@jmdi.example", ORGANISER_PASSWORD)).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/admin/events", headers=headers)).status_code == 401


async def test_a_token_works_until_the_moment_it_expires(
    auth_headers: AuthHeaders, client: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    headers = await auth_headers("viewer")
    clock.advance(hours=settings.organiser_token_hours, seconds=-1)
    assert (await client.get("/api/admin/events", headers=headers)).status_code == 200
    clock.advance(seconds=1)
    response = await client.get("/api/admin/events", headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")


@pytest.fixture
def throttled(app: Any, settings: Settings) -> None:
    """Failed sign-ins limited to 3 per account and 5 per address."""
    app.state.settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_login_account": parse_limits("3/15 minutes"),
            "rate_limit_login_address": parse_limits("5/15 minutes"),
        }
    )


async def test_an_account_with_too_many_failures_is_rate_limited(
    throttled: None, make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    await make_organiser("owner", email="owner@jmdi.example")
    for _ in range(3):
        assert (await sign_in(client, "owner@jmdi.example", "guess")).status_code == 401
    # Even the right password waits now, or guessing would go on.
    response = await sign_in(client, "OWNER@jmdi.example", ORGANISER_PASSWORD)
    assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


async def test_an_address_with_too_many_failures_is_rate_limited(
    throttled: None, make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    await make_organiser("owner", email="owner@jmdi.example")
    for n in range(5):
        assert (await sign_in(client, f"guess-{n}@jmdi.example", "guess")).status_code == 401
    response = await sign_in(client, "owner@jmdi.example", ORGANISER_PASSWORD)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


async def test_successful_sign_ins_are_not_limited(
    throttled: None, make_organiser: MakeOrganiser, client: httpx.AsyncClient
) -> None:
    await make_organiser("owner", email="owner@jmdi.example")
    for _ in range(6):
        assert (await sign_in(client, "owner@jmdi.example", ORGANISER_PASSWORD)).status_code == 200


async def test_a_refusal_at_the_address_limit_leaves_the_accounts_attempts(
    throttled: None, make_organiser: MakeOrganiser, client: httpx.AsyncClient, app: Any
) -> None:
    await make_organiser("owner", email="owner@jmdi.example")
    for n in range(3):
        assert (await sign_in(client, f"guess-{n}@jmdi.example", "guess")).status_code == 401
    for _ in range(2):
        assert (await sign_in(client, "owner@jmdi.example", "guess")).status_code == 401
    # The address has used its 5: refused, and not counted against the account.
    for _ in range(3):
        assert (await sign_in(client, "owner@jmdi.example", "guess")).status_code == 429
    elsewhere = httpx.ASGITransport(app=app, client=("192.0.2.7", 50000))
    async with httpx.AsyncClient(transport=elsewhere, base_url=BASE_URL) as other:
        assert (await sign_in(other, "owner@jmdi.example", "guess")).status_code == 401
        assert (await sign_in(other, "owner@jmdi.example", "guess")).status_code == 429


@pytest.mark.slow
async def test_simultaneous_wrong_passwords_beyond_the_limit_are_refused(
    committed_app: Any, settings: Settings, clock: FakeClock
) -> None:
    """Counted before the slow password check: 40 guesses at once get the account's 10 tries."""
    committed_app.state.settings = settings.model_copy(update={"rate_limit_enabled": True})
    (per_account,) = Settings(_env_file=None).rate_limit_login_account
    async with committed_app.state.sessionmaker() as session, session.begin():
        await create_organiser(
            session, email="owner@jmdi.example", role=OrganiserRole.owner,
            password="tree-river-lantern-42", now=clock.now(),
        )  # fmt: skip
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=120) as client:
        guesses = [sign_in(client, "owner@jmdi.example", f"guess-{n}") for n in range(40)]
        codes = [response.status_code for response in await asyncio.gather(*guesses)]
        assert (codes.count(401), codes.count(429)) == (per_account.amount, 40 - per_account.amount)
        # The limit holds for the right password too, until the window ends.
        right = await sign_in(client, "owner@jmdi.example", "tree-river-lantern-42")
        assert right.status_code == 429


async def test_the_api_page_offers_password_sign_in(client: httpx.AsyncClient) -> None:
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == TOKEN
