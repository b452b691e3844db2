"""The organisers' actions on a registration, against the transition table.

What each legal action does to the whole event, setting by setting, is the table
in test_transition_outcomes.py; here are the refusals, check-in and its ticket.
"""

import itertools
from datetime import datetime
from typing import Any

import httpx
import pytest

from app.registrations.transitions import TRANSITIONS, Action, Stage
from tests.fixtures.app import ticket_shown
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration

EVENT = "/api/admin/events/side-event"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def act(
    client: httpx.AsyncClient, headers: dict[str, str], registration_id: object, action: str
) -> httpx.Response:
    return await client.post(f"{EVENT}/registrations/{registration_id}/{action}", headers=headers)


async def read(client: httpx.AsyncClient, headers: dict[str, str], registration_id: object) -> Any:
    return (await client.get(f"{EVENT}/registrations/{registration_id}", headers=headers)).json()


LEGAL = [(a, s) for a, s in itertools.product(Action, Stage) if s in TRANSITIONS[a].allowed_from]
ILLEGAL = [(a, s) for a, s in itertools.product(Action, Stage) if (a, s) not in LEGAL]


@pytest.mark.parametrize(("action", "stage"), ILLEGAL, ids=lambda v: str(v))
async def test_illegal_action_is_refused_and_changes_nothing(
    action: Action,
    stage: Stage,
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    registration, _ = await make_registration(stage)
    headers = await auth_headers("owner")
    before = await read(client, headers, registration.id)
    response = await act(client, headers, registration.id, action)
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["stage"]) == ("invalid_transition", stage)
    # Once checked in, the refusal says when: the time of the (first) check-in.
    if stage == Stage.checked_in:
        assert moment(body["checked_in_at"]) == moment(before["checked_in_at"])
    else:
        assert body.get("checked_in_at") is None
    assert await read(client, headers, registration.id) == before


async def test_approving_into_a_full_event_waitlists(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=1, approval_required=True)
    await make_registration("confirmed")
    await make_registration("waitlisted")
    pending, _ = await make_registration("pending_approval")
    response = await act(client, await auth_headers(), pending.id, "approve")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["waitlist_position"]) == ("waitlisted", 2)


async def test_approving_into_a_full_event_without_waitlist_is_event_full(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=1, approval_required=True, waitlist_enabled=False)
    await make_registration("confirmed")
    pending, _ = await make_registration("pending_approval")
    response = await act(client, await auth_headers(), pending.id, "approve")
    assert (response.status_code, response.json()["code"]) == (409, "event_full")


async def test_checking_in_twice_answers_with_the_first_check_in_time(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    registration, _ = await make_registration("confirmed")
    headers = await auth_headers("staff")
    first = await act(client, headers, registration.id, "check-in")
    clock.advance(minutes=5)
    second = await act(client, headers, registration.id, "check-in")
    assert second.status_code == 409
    assert second.json()["code"] == "invalid_transition"
    assert moment(second.json()["checked_in_at"]) == moment(first.json()["checked_in_at"])


async def test_scanning_a_ticket_twice_answers_with_the_first_check_in_time(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    _, token = await make_registration("confirmed")
    headers = await auth_headers("staff")
    scan = {"ticket_code": await ticket_shown(client, token)}
    first = await client.post(f"{EVENT}/check-in", json=scan, headers=headers)
    assert first.status_code == 200
    first_time = clock.now()
    assert moment(first.json()["checked_in_at"]) == first_time
    clock.advance(minutes=5)
    second = await client.post(f"{EVENT}/check-in", json=scan, headers=headers)
    assert (second.status_code, second.json()["code"]) == (409, "invalid_transition")
    assert moment(second.json()["checked_in_at"]) == first_time


async def test_an_unknown_ticket_code_is_not_found(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        f"{EVENT}/check-in", json={"ticket_code": "forged"}, headers=await auth_headers("staff")
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_ticket_for_another_event_is_not_found(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    await make_event()
    await make_event(slug="other-event")
    _, token = await make_registration("confirmed", slug="other-event")
    response = await client.post(
        f"{EVENT}/check-in",
        json={"ticket_code": await ticket_shown(client, token)},
        headers=await auth_headers("staff"),
    )
    assert response.status_code == 404


async def test_an_unknown_action_is_a_validation_error(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
) -> None:
    registration, _ = await make_registration("confirmed")
    response = await act(client, await auth_headers(), registration.id, "teleport")
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


async def test_an_unknown_registration_is_not_found(
    event: object, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    response = await act(
        client, await auth_headers(), "00000000-0000-4000-8000-000000000000", "approve"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
