"""Per-client-address limits on public writes, counted in PostgreSQL."""

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.abuse import rates
from app.abuse.client_address import client_address
from app.config import Limit, Settings, parse_limit, parse_limits, parse_networks
from app.events.seed import seed_event
from app.mail.transport import transport_for
from app.mail.worker import Periodic, run_worker
from app.main import create_app
from app.models import RateLimitHit, Registration
from app.privacy.housekeeping import housekeep
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeRegistration, event_fields, signup_body

SIGNUPS = "/api/events/side-event/registrations"


def limited(app: Any, settings: Settings, **overrides: Any) -> None:
    """Rate limits on: 3 sign-ups a minute and 5 an hour, 2 other writes a minute."""
    app.state.settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_signups": parse_limits("3/minute, 5/hour"),
            "rate_limit_registrant": parse_limits("2/minute"),
        }
        | overrides
    )


def client_at(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


async def sign_up(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.post(SIGNUPS, json=signup_body(), headers=headers)


def assert_limited(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many requests from your network; please wait and try again.",
        "code": "rate_limited",
    }
    assert response.headers["Retry-After"] == str(retry_after)


async def registrations(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Registration)) or 0


async def test_sign_ups_from_one_address_stop_at_the_limit_until_the_window_ends(
    app: Any,
    settings: Settings,
    event: object,
    client: httpx.AsyncClient,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    limited(app, settings)
    for _ in range(3):
        assert (await sign_up(client)).status_code == 201
    clock.advance(seconds=20)
    assert_limited(await sign_up(client), retry_after=40)
    assert await registrations(session) == 3  # the refused one stored nothing
    clock.advance(seconds=40)
    assert (await sign_up(client)).status_code == 201
    assert (await sign_up(client)).status_code == 201
    # Five in the hour: the hourly limit waits for the end of its own window.
    clock.advance(minutes=1)
    assert_limited(await sign_up(client), retry_after=3600 - 120)


async def test_each_client_address_has_its_own_limit(
    app: Any, settings: Settings, event: object, client: httpx.AsyncClient
) -> None:
    limited(app, settings)
    for _ in range(3):
        assert (await sign_up(client)).status_code == 201
    assert (await sign_up(client)).status_code == 429
    async with client_at(app, "192.0.2.7") as elsewhere:
        assert (await sign_up(elsewhere)).status_code == 201


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
    app: Any, settings: Settings, event: object, client: httpx.AsyncClient
) -> None:
    limited(app, settings)
    codes = [
        (await sign_up(client, **{"X-Forwarded-For": f"198.51.100.{n}"})).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]


async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    app: Any, settings: Settings, event: object, client: httpx.AsyncClient
) -> None:
    # The test client's peer address is 127.0.0.1: the proxy.
    limited(app, settings, forwarded_allow_ips=parse_networks(["127.0.0.1", "10.0.0.0/8"]))
    for _ in range(3):
        assert (await sign_up(client, **{"X-Forwarded-For": "198.51.100.1"})).status_code == 201
    # A client cannot escape by writing addresses of its own to the left of the proxies'.
    forged = {"X-Forwarded-For": "203.0.113.99, 198.51.100.1, 10.1.2.3"}
    assert (await sign_up(client, **forged)).status_code == 429
    assert (await sign_up(client, **{"X-Forwarded-For": "198.51.100.2"})).status_code == 201


def test_client_address_reads_the_forwarded_chain_from_the_right() -> None:
    proxies = parse_networks(["10.0.0.0/8", "::1"])
    assert client_address("192.0.2.1", ["203.0.113.5"], proxies) == "192.0.2.1"
    assert client_address("10.0.0.1", ["203.0.113.5, 198.51.100.7"], proxies) == "198.51.100.7"
    assert client_address("::1", ["2001:db8::1", "10.9.9.9"], proxies) == "2001:db8::1"
    assert client_address("10.0.0.1", [], proxies) == "10.0.0.1"
    assert client_address("10.0.0.1", ["10.0.0.2, 10.0.0.3"], proxies) == "10.0.0.2"
    assert client_address("10.0.0.1", ["garbage, 10.0.0.3"], proxies) == "garbage"
    everyone = parse_networks(["*"])
    assert client_address("192.0.2.1", ["203.0.113.5, 198.51.100.7"], everyone) == "203.0.113.5"


async def test_the_registrants_writes_are_limited_too(
    app: Any,
    settings: Settings,
    event: object,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
) -> None:
    limited(app, settings)
    _, token = await make_registration("confirmed")
    path = f"/api/registrations/{token}"
    assert (await client.patch(path, json={"job_title": "Mayor"})).status_code == 200
    assert (await client.patch(path, json={"job_title": "Deputy Mayor"})).status_code == 200
    assert_limited(await client.post(f"{path}/cancel"), retry_after=60)
    assert (await client.get(path)).json()["status"] == "confirmed"
    # Reading is not limited.
    assert (await client.get(path)).status_code == 200


async def test_a_page_form_over_the_limit_is_answered_with_a_page(
    app: Any, settings: Settings, event: object, client: httpx.AsyncClient
) -> None:
    limited(app, settings)
    for _ in range(3):
        # Counted before anything else: these fail the form's CSRF check (403).
        assert (await client.post("/events/side-event", data={})).status_code == 403
    response = await client.post("/events/side-event?lang=fr", data={})
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["Retry-After"] == "60"
    assert "<h1>Trop de demandes</h1>" in response.text


async def test_limits_are_off_when_disabled(
    app: Any, settings: Settings, event: object, client: httpx.AsyncClient
) -> None:
    limited(app, settings, rate_limit_enabled=False)
    codes = [(await sign_up(client)).status_code for _ in range(6)]
    assert codes == [201] * 6


async def test_two_app_instances_on_one_database_share_the_limit_exactly(
    committed_app: Any, settings: Settings, clock: FakeClock
) -> None:
    async with committed_app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(), now=clock.now())
    limited(committed_app, settings, rate_limit_signups=parse_limits("7/minute"))
    other = create_app(committed_app.state.settings, clock=clock)
    other.state.sessionmaker = committed_app.state.sessionmaker
    async with client_at(committed_app, "192.0.2.1") as one, client_at(other, "192.0.2.1") as two:
        answers = await asyncio.gather(*(sign_up(c) for c in [one, two] * 15))
    codes = [response.status_code for response in answers]
    assert (codes.count(201), codes.count(429)) == (7, 23)


async def test_ended_windows_are_deleted(session: AsyncSession, clock: FakeClock) -> None:
    minute = Limit(amount=1, period=parse_limit("1/minute").period)
    for identity in ("192.0.2.1", "192.0.2.2"):
        await rates.count_hit(
            session, rates.key_for("t", minute, identity), minute, now=clock.now()
        )
    clock.advance(seconds=59)
    assert await rates.expire(session, now=clock.now()) == 0
    clock.advance(seconds=1)
    assert await rates.expire(session, now=clock.now()) == 2
    assert await session.scalar(select(func.count()).select_from(RateLimitHit)) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rate_limit_signups", "lots"),
        ("rate_limit_signups", "0/minute"),
        ("rate_limit_registrant", "10/fortnight"),
        ("forwarded_allow_ips", "proxy.example.org"),
    ],
)
def test_bad_limit_settings_are_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings.model_validate({name: value})


def test_limits_read_the_way_settings_write_them() -> None:
    assert parse_limits("30/minute, 300/hour") == (
        Limit(30, parse_limit("1/minute").period),
        Limit(300, parse_limit("1/60 minutes").period),
    )
    assert parse_limit("10/15 minutes").period.total_seconds() == 900


async def test_the_e_mail_worker_runs_the_housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: FakeClock
) -> None:
    """`rsvp serve` and `rsvp worker` hand it `housekeep`, which deletes ended windows."""
    minute = parse_limit("1/minute")
    async with sessionmaker() as session, session.begin():
        await rates.count_hit(
            session, rates.key_for("t", minute, "192.0.2.1"), minute, now=clock.now()
        )
    clock.advance(minutes=2)
    stop = asyncio.Event()
    done: list[datetime] = []

    async def chores(maker: async_sessionmaker[AsyncSession], now: datetime) -> None:
        await housekeep(maker, now)
        done.append(now)
        stop.set()

    await run_worker(
        sessionmaker,
        transport_for(settings),
        settings=settings,
        clock=clock,
        stop=stop,
        periodic=[Periodic(every_seconds=300.0, run=chores)],
    )
    assert done == [clock.now()]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(RateLimitHit)) == 0


def test_limits_and_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_SIGNUPS", "5/minute, 50/day")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1, 10.0.0.0/8")
    read = Settings(_env_file=None)
    assert read.rate_limit_signups == parse_limits("5/minute, 50/day")
    assert read.forwarded_allow_ips == parse_networks(["127.0.0.1", "10.0.0.0/8"])
