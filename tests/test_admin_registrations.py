"""The organisers' registration list and detail: filters, keyset paging, bad input."""

import os
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events.service import get_event
from app.models import Registration
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration

LIST = "/api/admin/events/side-event/registrations"


async def bulk_register(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, count: int
) -> set[uuid.UUID]:
    """`count` confirmed registrations in one INSERT; many share a sign-up time."""
    async with sessionmaker() as session, session.begin():
        event = await get_event(session, "side-event")
        rows: list[dict[str, Any]] = [
            {
                "id": uuid.uuid4(),
                "event_id": event.id,
                "email": f"delegate-{n}@example.org",
                "given_name": "Delegate",
                "family_name": str(n),
                "organisation": f"City {n}",
                "organisation_key": f"city {n}",
                "affiliation_type": "local_government",
                "language": "en",
                "has_un_grounds_pass": False,
                "status": "confirmed",
                "search_text": f"delegate {n} delegate-{n}@example.org city {n}",
                "ticket_code_hash": os.urandom(32),
                # Seven to a second: the order must not rely on distinct times.
                "created_at": clock.now() + timedelta(seconds=n // 7),
                "updated_at": clock.now(),
            }
            for n in range(count)
        ]
        await session.execute(insert(Registration), rows)
    clock.advance(seconds=count)
    return {row["id"] for row in rows}


async def test_paging_returns_each_registration_once_while_signups_arrive(
    make_event: MakeEvent,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    signup: Signup,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=5000)
    existing = await bulk_register(sessionmaker, clock, 1000)
    headers = await auth_headers("viewer")
    seen: Counter[str] = Counter()
    arrived: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": 37} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(LIST, params=params, headers=headers)).json()
        assert len(page["items"]) <= 37
        seen.update(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        clock.advance(seconds=1)
        arrived.add((await signup()).json()["id"])

    assert max(seen.values()) == 1
    assert set(seen) == {str(id_) for id_ in existing} | arrived
    assert page["total"] == 1000 + len(arrived)


async def test_a_signup_stamped_earlier_but_committed_later_is_not_skipped(
    event: object,
    clock: FakeClock,
    signup: Signup,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    # A request that read the clock before another, but got the event's lock after
    # it, commits a row with the earlier time after a page already went past it.
    headers = await auth_headers("viewer")
    first = (await signup()).json()
    clock.advance(minutes=1)
    second = (await signup()).json()
    page = (await client.get(LIST, params={"limit": 1}, headers=headers)).json()
    assert [item["id"] for item in page["items"]] == [first["id"]]
    clock.advance(minutes=-5)
    late = (await signup()).json()
    rest = await client.get(LIST, params={"cursor": page["next_cursor"]}, headers=headers)
    assert [item["id"] for item in rest.json()["items"]] == [second["id"], late["id"]]


async def test_filters_take_repeated_or_comma_separated_values(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    for stage in ("confirmed", "waitlisted", "pending_approval", "cancelled"):
        await make_registration(stage)
    headers = await auth_headers("viewer")
    repeated = await client.get(
        LIST, params=[("status", "confirmed"), ("status", "waitlisted")], headers=headers
    )
    commas = await client.get(LIST, params={"status": "confirmed,waitlisted"}, headers=headers)
    for response in (repeated, commas):
        assert response.json()["total"] == 2
        assert {r["status"] for r in response.json()["items"]} == {"confirmed", "waitlisted"}


async def test_search_finds_names_without_accents(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_registration(given_name="José", family_name="Álvarez")
    await make_registration(given_name="Eleni", family_name="Papadopoulou")
    response = await client.get(LIST, params={"q": "jose ALVAREZ"}, headers=await auth_headers())
    assert [r["given_name"] for r in response.json()["items"]] == ["José"]


async def test_a_search_says_its_exact_total_on_every_page(
    event: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    """The first page counts its matches in its own statement, the next ones apart:
    the same total either way, and none when nothing matches."""
    await bulk_register(sessionmaker, clock, 30)  # "delegate 0" to "delegate 29"
    await make_registration("cancelled", given_name="Delegate", family_name="Gone")
    await make_registration(given_name="Eleni", family_name="Papadopoulou")
    headers = await auth_headers("viewer")
    totals, seen, cursor = [], [], None
    while True:
        params = {"q": "delegate", "limit": "12", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(LIST, params=params, headers=headers)).json()
        totals.append(page["total"])
        seen += [r["family_name"] for r in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert totals == [31, 31, 31]
    assert len(seen) == len(set(seen)) == 31
    nobody = await client.get(LIST, params={"q": "nobody-at-all"}, headers=headers)
    assert (nobody.json()["items"], nobody.json()["total"]) == ([], 0)


async def test_detail_has_the_registration_and_its_email_history(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    registration, _ = await make_registration(given_name="Amina")
    response = await client.get(f"{LIST}/{registration.id}", headers=await auth_headers("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert (body["given_name"], body["event_slug"], body["emails"]) == ("Amina", "side-event", [])


@pytest.mark.parametrize(
    "params",
    [
        {"status": "attending"},
        {"status": "confirmed,maybe"},
        {"affiliation_type": "alien"},
        {"country": "XX"},
        {"checked_in": "perhaps"},
        {"limit": "0"},
        {"limit": "501"},
        {"limit": "many"},
        {"q": "x" * 201},
    ],
    ids=str,
)
async def test_a_bad_query_value_is_a_validation_error(
    params: dict[str, str], event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.get(LIST, params=params, headers=await auth_headers())
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert response.json()["detail"][0]["loc"][:2] == ["query", next(iter(params))]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "bm90IGpzb24",  # base64 of "not json"
        "WyIyMDEzLTA5LTAyIiwgIjEiXQ",  # a naive time and an id that is no UUID
        "WyJ5ZXN0ZXJkYXkiLCAiMSJd",  # ["yesterday", "1"]
    ],
)
async def test_a_cursor_we_did_not_issue_is_refused(
    cursor: str, event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.get(LIST, params={"cursor": cursor}, headers=await auth_headers())
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


async def test_an_unknown_event_is_not_found(
    auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/api/admin/events/no-such-event/registrations", headers=await auth_headers()
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_malformed_registration_id_is_a_validation_error(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.get(f"{LIST}/not-a-uuid", headers=await auth_headers())
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
