"""Seats stay exact across processes: two real `rsvp serve` servers on one database.

The races of test_concurrency.py, with the requests spread over both servers, so
nothing but the database (the event's lock, the unique index) keeps them apart.
"""

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.fixtures.factories import signup_body
from tests.fixtures.live_server import served
from tests.test_cli import _sql, cli_env, rsvp

__all__ = ["cli_env"]

SLUG = "local-government-migration-development-2013"


@pytest.fixture
def two_servers(cli_env: dict[str, str]) -> Iterator[tuple[dict[str, str], list[str]]]:
    """The side-event, and the base URLs of two servers sharing its database."""
    env = cli_env | {"RATE_LIMIT_ENABLED": "false"}
    assert rsvp(env, "migrate").returncode == 0
    assert rsvp(env, "seed").returncode == 0
    with ExitStack() as stack:
        yield env, [stack.enter_context(served(env)) for _ in range(2)]


async def _post_all(bases: list[str], paths: list[str], bodies: list[Any]) -> list[httpx.Response]:
    """POST each (path, body), alternating between the servers, all at once."""
    async with httpx.AsyncClient(timeout=120) as client:
        return await asyncio.gather(
            *(
                client.post(f"{base}{path}", json=body)
                for base, path, body in zip(itertools.cycle(bases), paths, bodies, strict=False)
            )
        )


def _sign_up_all(bases: list[str], bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    path = f"/api/events/{SLUG}/registrations"
    return asyncio.run(_post_all(bases, [path] * len(bodies), bodies))


def test_200_sign_ups_for_50_seats_over_two_servers_never_overbook(
    two_servers: tuple[dict[str, str], list[str]],
) -> None:
    env, bases = two_servers
    _sql(env, "UPDATE events SET capacity = 50")
    responses = _sign_up_all(
        bases, [signup_body(email=f"person{n}@example.org") for n in range(200)]
    )

    assert [r.status_code for r in responses] == [201] * 200
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("confirmed") == 50
    positions = sorted(
        r.json()["waitlist_position"] for r in responses if r.json()["waitlist_position"]
    )
    assert positions == list(range(1, 151))
    assert _sql(env, "SELECT count(*) FROM registrations WHERE status = 'confirmed'") == 50
    assert _sql(env, "SELECT confirmed FROM event_counters") == 50
    assert _sql(env, "SELECT waitlisted FROM event_counters") == 150


def test_simultaneous_duplicates_over_two_servers_store_one(
    two_servers: tuple[dict[str, str], list[str]],
) -> None:
    env, bases = two_servers
    responses = _sign_up_all(bases, [signup_body(email="same@example.org")] * 20)

    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert _sql(env, "SELECT count(*) FROM registrations") == 1


def test_simultaneous_cancellations_over_two_servers_promote_each_waitlisted_once(
    two_servers: tuple[dict[str, str], list[str]],
) -> None:
    env, bases = two_servers
    _sql(env, "UPDATE events SET capacity = 10")
    made = [r.json() for r in _sign_up_all(bases, [signup_body() for _ in range(20)])]
    holders = [m for m in made if m["status"] == "confirmed"]
    assert len(holders) == 10
    cancels = [m["manage_url"].split("/r/", 1)[1] for m in holders]
    responses = asyncio.run(
        _post_all(bases, [f"/api/registrations/{token}/cancel" for token in cancels], [None] * 10)
    )

    assert [r.status_code for r in responses] == [200] * 10
    assert _sql(env, "SELECT count(*) FROM registrations WHERE status = 'confirmed'") == 10
    assert _sql(env, "SELECT count(*) FROM registrations WHERE status = 'waitlisted'") == 0
    assert _sql(env, "SELECT confirmed FROM event_counters") == 10
    assert _sql(env, "SELECT waitlisted FROM event_counters") == 0
