"""The abuse limits under load, as the attacks in issue 9 ran: rate limits on, the real
database, the real SMTP server, and real `rsvp serve` processes."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.events.seed import seed_event
from app.mail.transport import transport_for
from app.mail.worker import deliver_due
from app.models import Registration
from tests.fixtures.app import BASE_URL, own_path
from tests.fixtures.clock import FakeClock
from tests.fixtures.database import admin_execute, database_url
from tests.fixtures.factories import event_fields, signup_body
from tests.fixtures.live_server import served
from tests.fixtures.mail import SmtpServer
from tests.test_cli import SIDE_EVENT, rsvp

pytestmark = pytest.mark.slow

SIGNUPS = "/api/events/side-event/registrations"
DEFAULTS = Settings(_env_file=None)


def defaults_on(app: Any, settings: Settings, **overrides: Any) -> None:
    """The shipped limits, switched on (the other tests run with limits off)."""
    app.state.settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_signups": DEFAULTS.rate_limit_signups,
            "rate_limit_registrant": DEFAULTS.rate_limit_registrant,
            "mail_recipient_cap": DEFAULTS.mail_recipient_cap,
        }
        | overrides
    )


async def with_event(app: Any, clock: FakeClock, **fields: Any) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(**fields), now=clock.now())


async def test_300_sign_ups_from_one_address_are_cut_to_the_limit(
    committed_app: Any, settings: Settings, clock: FakeClock
) -> None:
    defaults_on(committed_app, settings)
    await with_event(committed_app, clock, capacity=1000)
    (per_minute, _) = DEFAULTS.rate_limit_signups
    gate = asyncio.Semaphore(20)
    transport = httpx.ASGITransport(app=committed_app, client=("198.51.100.20", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=120) as client:

        async def one(n: int) -> int:
            async with gate:
                body = signup_body(email=f"stranger-{n}@third-party.example")
                return (await client.post(SIGNUPS, json=body)).status_code

        codes = await asyncio.gather(*(one(n) for n in range(300)))
    assert (codes.count(201), codes.count(429)) == (per_minute.amount, 300 - per_minute.amount)
    async with committed_app.state.sessionmaker() as session:
        stored = await session.scalar(select(func.count()).select_from(Registration))
    assert stored == per_minute.amount


async def test_50_sign_up_and_cancel_cycles_deliver_at_most_the_cap(
    committed_app: Any, settings: Settings, clock: FakeClock, smtp_server: SmtpServer
) -> None:
    """From many addresses (a botnet), so the rate limits do not stop the loop first."""
    defaults_on(committed_app, settings)
    await with_event(committed_app, clock)
    victim = "victim@example.org"
    for cycle in range(50):
        peer = httpx.ASGITransport(app=committed_app, client=(f"203.0.113.{cycle}", 40000))
        async with httpx.AsyncClient(transport=peer, base_url=BASE_URL) as client:
            created = await client.post(SIGNUPS, json=signup_body(email=victim))
            assert created.status_code == 201
            assert (await client.post(own_path(created.json(), "/cancel"))).status_code == 200
        clock.advance(seconds=5)
    mail = committed_app.state.settings.model_copy(update={"smtp_url": smtp_server.url})
    transport = transport_for(mail)
    while await deliver_due(
        committed_app.state.sessionmaker, transport, settings=mail, clock=clock
    ):
        pass
    assert smtp_server.handler.recipients == [victim] * DEFAULTS.mail_recipient_cap


@pytest.fixture
def two_servers_env(pg_server_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    name = "rsvp_test_abuse_load"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(admin_execute(pg_server_url, drop, f'CREATE DATABASE "{name}"'))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RATE_LIMIT_", "FORWARDED_ALLOW_IPS"))
    } | {
        "DATABASE_URL": database_url(pg_server_url, name),
        "DATA_DIR": str(tmp_path / "data"),
        "MAIL_WORKER_IN_PROCESS": "false",
    }
    yield env
    asyncio.run(admin_execute(pg_server_url, drop))


async def test_two_serve_processes_share_one_limit(two_servers_env: dict[str, str]) -> None:
    env = two_servers_env
    assert rsvp(env, "migrate").returncode == 0
    assert rsvp(env, "seed").returncode == 0
    password = "tree-river-lantern-42"
    made = rsvp(env, "create-organiser", "--email", "owner@jmdi.example", "--role", "owner",
                "--password", password)  # fmt: skip
    assert made.returncode == 0, made.stderr
    (per_minute, _) = DEFAULTS.rate_limit_signups
    (per_account,) = DEFAULTS.rate_limit_login_account
    with served(env) as first, served(env) as second:
        async with httpx.AsyncClient(timeout=120) as client:
            signups = [
                client.post(
                    f"{base}/api/events/{SIDE_EVENT}/registrations",
                    json=signup_body(email=f"p{n}-{side}@third-party.example"),
                )
                for n in range(per_minute.amount)
                for side, base in enumerate((first, second))
            ]
            codes = [r.status_code for r in await asyncio.gather(*signups)]
            assert (codes.count(201), codes.count(429)) == (per_minute.amount, per_minute.amount)
            # The organiser sign-in throttle too: the account's tries, whichever process.
            guesses = [
                client.post(
                    f"{base}/api/auth/token",
                    data={"username": "owner@jmdi.example", "password": f"guess-{n}"},
                )
                for n in range(per_account.amount)
                for base in (first, second)
            ]
            codes = [r.status_code for r in await asyncio.gather(*guesses)]
            assert (codes.count(401), codes.count(429)) == (per_account.amount, per_account.amount)
