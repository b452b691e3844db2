"""The check-in desk, through httpx: each answer's words, status and count, finding
people by name, the roles, and two desks scanning one ticket at once."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.events.seed import seed_event
from app.models import OrganiserRole, Registration
from app.organisers.accounts import create_organiser
from app.tickets.code import ticket_code
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.dashboard import SignedIn, csrf_in, sign_in_through_the_form
from tests.fixtures.factories import (
    ORGANISER_PASSWORD,
    MakeRegistration,
    event_fields,
    signup_body,
)
from tests.html import parse

DESK = "/admin/events/side-event/desk"


def words(text: str) -> str:
    return " ".join(text.split())


def result(html: str) -> str:
    """What the desk says about the scan: its words, spaced as read."""
    return words(parse(html).one("div", id="scan-result").text)


def count(html: str) -> str:
    return words(parse(html).one("p", id="desk-count").text)


Guest = Callable[..., Awaitable[tuple[Registration, str]]]


@pytest.fixture
async def guest(
    event: Any, signed_in: SignedIn, make_registration: MakeRegistration, ticket_key: str
) -> Guest:
    """Staff signed in at the desk; `await guest(stage)` is Amina Diallo at that stage
    (confirmed unless told), with her ticket's code."""
    await signed_in("staff")

    async def make(stage: str = "confirmed", **fields: Any) -> tuple[Registration, str]:
        names = {"given_name": "Amina", "family_name": "Diallo"}
        registration, _ = await make_registration(stage, **(names | fields))
        return registration, ticket_code(registration.id, ticket_key)

    return make


async def scan(client: httpx.AsyncClient, code: str) -> httpx.Response:
    desk = await client.get(DESK)
    return await client.post(DESK, data={"csrf_token": csrf_in(desk.text), "code": code})


async def test_a_scan_welcomes_then_refuses_the_same_ticket(
    client: httpx.AsyncClient, guest: Guest, make_registration: MakeRegistration, clock: FakeClock
) -> None:
    _, code = await guest()
    await make_registration("confirmed")

    before = await client.get(DESK)
    assert count(before.text) == "Checked in: 0 of 2 expected"
    page = parse(before.text)
    assert "autofocus" in page.one("input", id="code").attrs

    # 2013-09-02 14:00 UTC is 10:00 in New York, the event's time zone.
    welcome = await scan(client, f" {code}\n")
    assert welcome.status_code == 200
    assert result(welcome.text) == "Welcome, Amina Diallo Checked in at 10:00."
    assert count(welcome.text) == "Checked in: 1 of 2 expected"
    assert "autofocus" in parse(welcome.text).one("input", id="code").attrs
    assert parse(welcome.text).find_all("div", class_="scan scan--welcome")

    clock.advance(minutes=5)
    again = await scan(client, code)
    assert again.status_code == 409
    assert result(again.text) == (
        "Already checked in Amina Diallo was checked in at 10:00. Do not let the ticket in twice."
    )
    assert count(again.text) == "Checked in: 1 of 2 expected"


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        ("waitlisted", "Waitlisted"),
        ("cancelled", "Cancelled"),
        ("pending_approval", "Awaiting approval"),
    ],
)
async def test_a_ticket_without_a_seat_is_not_confirmed_with_its_status(
    client: httpx.AsyncClient, guest: Guest, stage: str, words: str
) -> None:
    _, code = await guest(stage)
    response = await scan(client, code)
    assert response.status_code == 409
    assert result(response.text) == f"Not confirmed Amina Diallo has no seat: {words}."


@pytest.mark.parametrize("code", ["no-such-code", "x" * 200, "\u202e\x00"])
async def test_an_unknown_code_says_so(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, code: str
) -> None:
    await signed_in("staff")
    response = await scan(client, code)
    assert response.status_code == 404
    assert result(response.text).startswith("Unknown code")


async def test_an_empty_scan_says_nothing(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    await signed_in("staff")
    response = await scan(client, "   ")
    assert response.status_code == 200
    assert result(response.text) == ""


async def test_another_event_s_ticket_is_unknown_here(
    make_event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    make_registration: MakeRegistration,
    ticket_key: str,
) -> None:
    await make_event()
    await make_event(slug="other-event")
    await signed_in("staff")
    elsewhere, _ = await make_registration("confirmed", slug="other-event")
    response = await scan(client, ticket_code(elsewhere.id, ticket_key))
    assert response.status_code == 404


async def test_find_by_name_then_check_in(
    client: httpx.AsyncClient, guest: Guest, make_registration: MakeRegistration
) -> None:
    amina, _ = await guest()
    await make_registration("waitlisted", given_name="Amina", family_name="Waiting")
    await make_registration("confirmed", given_name="Pedro", family_name="Diallo-Other")

    found = await client.get(DESK, params={"q": "amina"})
    page = parse(found.text)
    found_people = [words(li.text) for li in page.find_all("li", class_="desk__match")]
    assert found_people == ["Amina Diallo Municipality of Cuenca Check in"]
    form = next(
        f for f in page.find_all("form") if f.attrs["action"].endswith(f"/{amina.id}/check-in")
    )
    press = {"csrf_token": csrf_in(found.text), "q": "amina"}

    checked = await client.post(form.attrs["action"], data=press)
    assert checked.status_code == 200
    assert result(checked.text).startswith("Welcome, Amina Diallo")
    after = parse(checked.text)
    assert after.one("input", id="q").attrs["value"] == "amina"
    assert after.one("span", class_="desk__done").text == "Checked in at 10:00"

    twice = await client.post(form.attrs["action"], data=press)
    assert twice.status_code == 409
    assert result(twice.text).startswith("Already checked in")


async def test_a_viewer_sees_the_count_but_no_input_and_a_forged_scan_is_403(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    make_registration: MakeRegistration,
    ticket_key: str,
) -> None:
    await signed_in("viewer")
    registration, _ = await make_registration("confirmed")
    desk = await client.get(DESK)
    assert desk.status_code == 200
    assert not parse(desk.text).find_all("input", id="code")
    found = await client.get(DESK, params={"q": registration.family_name})
    assert not [
        f for f in parse(found.text).find_all("form") if f.attrs["action"].endswith("/check-in")
    ]
    forged = await client.post(
        DESK,
        data={"csrf_token": csrf_in(desk.text), "code": ticket_code(registration.id, ticket_key)},
    )
    assert forged.status_code == 403
    again = await client.get(DESK)
    assert count(again.text) == "Checked in: 0 of 1 expected"


async def test_the_desk_answers_french(client: httpx.AsyncClient, guest: Guest) -> None:
    _, code = await guest()
    desk = await client.get(DESK, params={"lang": "fr"})
    assert parse(desk.text).one("html").attrs["lang"] == "fr"
    response = await client.post(DESK, data={"csrf_token": csrf_in(desk.text), "code": code})
    assert result(response.text) == "Bienvenue, Amina Diallo Entré·e à 10:00."


# Two desks at once, through the real per-request transactions.


async def test_two_desks_scanning_one_ticket_at_once_check_it_in_once(
    committed_app: Any, clock: FakeClock
) -> None:
    async with committed_app.state.sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(), now=clock.now())
        for n in range(2):
            await create_organiser(
                session, email=f"desk{n}@jmdi.example", role=OrganiserRole.staff,
                password=ORGANISER_PASSWORD, now=clock.now(),
            )  # fmt: skip
    transport = httpx.ASGITransport(app=committed_app)
    async with (
        httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as first,
        httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as second,
    ):
        signed_up = await first.post(
            "/api/events/side-event/registrations",
            json=signup_body(given_name="Amina", family_name="Diallo"),
        )
        code = signed_up.json()["ticket_code"]
        tokens = []
        for n, desk in enumerate((first, second)):
            assert (
                await sign_in_through_the_form(desk, f"desk{n}@jmdi.example")
            ).status_code == 303
            tokens.append(csrf_in((await desk.get(DESK)).text))
        answers = await asyncio.gather(
            *(
                desk.post(DESK, data={"csrf_token": token, "code": code})
                for desk, token in zip((first, second), tokens, strict=True)
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    said = sorted(result(a.text) for a in answers)
    assert said[0].startswith("Already checked in Amina Diallo was checked in at 10:00.")
    assert said[1] == "Welcome, Amina Diallo Checked in at 10:00."
    assert all(count(a.text) == "Checked in: 1 of 1 expected" for a in answers)
