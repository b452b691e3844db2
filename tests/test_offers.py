"""Waitlist offers (`promotion` = `offer`): a freed seat is offered to the head of the
waitlist and held until `offer_expires_at`; accepted, declined, lapsed, passed on."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.events.seed import seed_event
from app.events.service import get_event
from app.mail.manage_links import issue_manage_token
from app.models import (
    DeliveryState,
    EventCounters,
    MailKind,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from app.privacy.housekeeping import due_work
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import new_registration
from tests.fixtures.app import BASE_URL, Signup, own_path, token_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, event_fields, signup_body
from tests.fixtures.mail import SendQueued, SmtpServer, queued_messages
from tests.html import parse

Registrant = dict[str, Any]


@pytest.fixture
async def full_event(make_event: MakeEvent, signup: Signup) -> list[Registrant]:
    """Two seats taken (ana, ben) and three waiting (carla, dmitri, emma), offers on."""
    await make_event(capacity=2, promotion="offer", offer_hours=24)
    people = []
    for name in ("ana", "ben", "carla", "dmitri", "emma"):
        response = await signup(email=f"{name}@example.org", language="en")
        assert response.status_code == 201
        people.append(response.json())
    assert [p["status"] for p in people] == ["confirmed"] * 2 + ["waitlisted"] * 3
    return people


async def own(client: httpx.AsyncClient, person: Registrant) -> Registrant:
    response = await client.get(own_path(person))
    assert response.status_code == 200
    body: Registrant = response.json()
    return body


async def seats_left(client: httpx.AsyncClient) -> int:
    left: int = (await client.get("/api/events/side-event")).json()["seats_left"]
    return left


async def offered(session: AsyncSession) -> int:
    counters = await session.scalar(select(EventCounters).execution_options(populate_existing=True))
    assert counters is not None
    return counters.offered


Lapse = Callable[[], Awaitable[None]]


@pytest.fixture
def worker_round(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: FakeClock
) -> Lapse:
    """The worker's duties once, at the clock's time (what lapses offers)."""

    async def run() -> None:
        await due_work(settings)(sessionmaker, clock.now())

    return run


async def offer_mail(session: AsyncSession, email: str) -> EmailMessage:
    (message,) = await queued_messages(session, email, MailKind.offer)
    return message


async def test_the_full_chain_offer_lapse_next_offer_accept(
    full_event: list[Registrant],
    client: httpx.AsyncClient,
    clock: FakeClock,
    session: AsyncSession,
    worker_round: Lapse,
) -> None:
    ana, _, carla, dmitri, _ = full_event
    offered_at = clock.now()
    assert (await client.post(own_path(ana, "/cancel"))).status_code == 200

    # The seat is held for carla, the head of the waitlist, for 24 hours.
    carla_now = await own(client, carla)
    assert carla_now["status"] == "waitlisted"
    assert carla_now["waitlist_position"] == 1
    deadline = offered_at + timedelta(hours=24)
    assert datetime.fromisoformat(carla_now["offer_expires_at"]) == deadline
    assert (await own(client, dmitri))["offer_expires_at"] is None
    assert await seats_left(client) == 0
    assert await offered(session) == 1
    # Nobody signs up into the held seat.
    newcomer = await client.post(
        "/api/events/side-event/registrations", json=signup_body(email="fred@example.org")
    )
    assert (newcomer.status_code, newcomer.json()["status"]) == (201, "waitlisted")

    # The e-mail: the deadline in the event's time zone, the position, accept and decline links.
    message = await offer_mail(session, "carla@example.org")
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "Tuesday, 3 September 2013, 10:00 (Eastern Daylight Time)" in content
    assert "number 1 on the waitlist" in content
    assert "/accept-offer?lang=en" in content and "/decline-offer?lang=en" in content

    # A second before the deadline nothing lapses; at it, the worker passes it on.
    clock.current = deadline - timedelta(seconds=1)
    await worker_round()
    assert (await own(client, carla))["status"] == "waitlisted"
    clock.current = deadline
    await worker_round()
    lapsed = await own(client, carla)
    assert lapsed["status"] == "cancelled"
    assert datetime.fromisoformat(lapsed["offer_expires_at"]) == deadline
    (told,) = await queued_messages(session, "carla@example.org", MailKind.offer_lapsed)
    told_text = told.get_body(("plain",))
    assert told_text is not None
    assert "it has gone to the next person" in told_text.get_content()
    dmitri_now = await own(client, dmitri)
    assert dmitri_now["waitlist_position"] == 1
    assert datetime.fromisoformat(dmitri_now["offer_expires_at"]) == deadline + timedelta(hours=24)
    assert await offered(session) == 1

    late = await client.post(own_path(carla, "/accept-offer"))
    assert late.status_code == 409
    assert late.json()["code"] == "offer_expired"

    accepted = await client.post(own_path(dmitri, "/accept-offer"))
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "confirmed"
    assert accepted.json()["offer_expires_at"] is None
    assert accepted.json()["ticket_code"]
    assert await offered(session) == 0
    assert await seats_left(client) == 0
    again = await client.post(own_path(dmitri, "/accept-offer"))
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


async def test_an_answer_after_the_deadline_lapses_the_offer_itself(
    full_event: list[Registrant], client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ana, _, carla, dmitri, _ = full_event
    await client.post(own_path(ana, "/cancel"))
    clock.advance(hours=24)
    for answer in ("/accept-offer", "/decline-offer"):
        response = await client.post(own_path(carla, answer))
        assert response.status_code == 409
        assert response.json()["code"] == "offer_expired"
    # Committed with the 409: carla's registration ended, dmitri is offered the seat.
    assert (await own(client, carla))["status"] == "cancelled"
    assert (await own(client, dmitri))["offer_expires_at"] is not None


async def test_declining_passes_the_seat_to_the_next_at_once(
    full_event: list[Registrant], client: httpx.AsyncClient, session: AsyncSession
) -> None:
    ana, _, carla, dmitri, emma = full_event
    await client.post(own_path(ana, "/cancel"))
    declined = await client.post(own_path(carla, "/decline-offer"))
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["offer_expires_at"]) == ("cancelled", None)
    assert (await own(client, dmitri))["offer_expires_at"] is not None
    assert (await own(client, emma))["offer_expires_at"] is None
    assert await offered(session) == 1


async def test_cancelling_while_holding_an_offer_passes_it_on_at_once(
    full_event: list[Registrant],
    client: httpx.AsyncClient,
    session: AsyncSession,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    ana, _, carla, dmitri, _ = full_event
    await client.post(own_path(ana, "/cancel"))
    assert (await client.post(own_path(carla, "/cancel"))).status_code == 200
    assert (await own(client, dmitri))["offer_expires_at"] is not None
    assert await offered(session) == 1
    assert await seats_left(client) == 0
    # The offer e-mail queued for carla is never sent; dmitri's is.
    await send_queued()
    subjects = {
        (str(m["To"].addresses[0].addr_spec), str(m["Subject"]))
        for m in smtp_server.handler.messages
        if str(m["Subject"]).startswith("A place is offered")
    }
    assert {to for to, _ in subjects} == {"dmitri@example.org"}
    carla_offer = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == MailKind.offer, OutboxMessage.recipient == "carla@example.org"
        )
    )
    assert carla_offer is not None
    assert carla_offer.state == DeliveryState.suppressed


async def test_an_organiser_declining_the_holder_passes_the_offer_on(
    full_event: list[Registrant],
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    session: AsyncSession,
) -> None:
    ana, _, carla, dmitri, _ = full_event
    await client.post(own_path(ana, "/cancel"))
    response = await client.post(
        f"/api/admin/events/side-event/registrations/{carla['id']}/decline",
        headers=await auth_headers(),
    )
    assert response.status_code == 200
    assert (await own(client, dmitri))["offer_expires_at"] is not None
    assert await offered(session) == 1


async def test_an_offer_never_outlives_the_start_and_none_is_made_after_it(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    clock: FakeClock,
    session: AsyncSession,
    send_queued: SendQueued,
    smtp_server: SmtpServer,
) -> None:
    starts = clock.now() + timedelta(hours=10)
    await make_event(
        capacity=1,
        promotion="offer",
        offer_hours=24,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    ana, ben, carla = [(await signup(email=f"{n}@example.org")).json() for n in ("a", "b", "c")]
    await send_queued()
    smtp_server.handler.forget()

    await client.post(own_path(ana, "/cancel"))
    capped = datetime.fromisoformat((await own(client, ben))["offer_expires_at"])
    assert capped == starts

    # The sender was down until the start: the offer goes out never.
    clock.current = starts
    await send_queued()
    assert [m["Subject"] for m in smtp_server.handler.messages if "offered" in m["Subject"]] == []
    (row,) = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.offer)
    )
    assert row.state == DeliveryState.suppressed

    # After the start no seat is offered: ben's lapses, carla is offered nothing.
    assert (await client.post(own_path(ben, "/accept-offer"))).json()["code"] == "offer_expired"
    assert (await own(client, carla))["offer_expires_at"] is None
    assert await offered(session) == 0
    assert await seats_left(client) == 1


async def test_auto_promotion_stays_the_default(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    shown = (await client.get("/api/events/side-event")).json()
    assert (shown["promotion"], shown["offer_hours"]) == ("auto", 24)


@pytest.mark.parametrize(
    "change",
    [
        {"promotion": "sometimes"},
        {"promotion": None},
        {"promotion": 1},
        {"offer_hours": 0},
        {"offer_hours": -1},
        {"offer_hours": 721},
        {"offer_hours": "a day"},
        {"offer_hours": 1.5},
        {"offer_hours": None},
    ],
)
async def test_bad_offer_settings_are_422_and_change_nothing(
    event: object, client: httpx.AsyncClient, auth_headers: AuthHeaders, change: dict[str, Any]
) -> None:
    headers = await auth_headers()
    response = await client.patch("/api/admin/events/side-event", json=change, headers=headers)
    assert response.status_code == 422, response.text
    (only,) = (await client.get("/api/admin/events", headers=headers)).json()
    assert (only["promotion"], only["offer_hours"]) == ("auto", 24)


async def test_answering_without_an_offer_is_refused(
    full_event: list[Registrant], client: httpx.AsyncClient
) -> None:
    ana, _, carla, _, _ = full_event
    for person in (ana, carla):
        for answer in ("/accept-offer", "/decline-offer"):
            response = await client.post(own_path(person, answer))
            assert response.status_code == 409
            assert response.json()["code"] == "invalid_transition"
    await client.post(own_path(ana, "/cancel"))
    response = await client.post(own_path(ana, "/accept-offer"))
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    for token in ("not-a-token", "x" * 5000, "%00"):
        response = await client.post(f"/api/registrations/{token}/accept-offer")
        assert response.status_code == 404
        assert response.json()["code"] == "invalid_token"
    # A body is not read: bytes that are no JSON change nothing either.
    emma = full_event[4]
    response = await client.post(own_path(emma, "/decline-offer"), content=b"\xff\xfe")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert (await own(client, emma))["status"] == "waitlisted"


def hidden_fields(html: str) -> dict[str, str]:
    return {e.attrs["name"]: e.attrs["value"] for e in parse(html).find_all("input", type="hidden")}


async def test_the_manage_page_offers_the_seat_with_two_buttons_that_need_no_javascript(
    full_event: list[Registrant], client: httpx.AsyncClient
) -> None:
    ana, ben, carla, dmitri, _ = full_event
    await client.post(own_path(ana, "/cancel"))
    await client.post(own_path(ben, "/cancel"))
    page_path = f"/r/{token_of(carla)}"

    # The e-mail's links lead to the page's buttons (a GET changes nothing).
    link = await client.get(f"{page_path}/accept-offer?lang=fr")
    assert link.status_code == 303
    assert link.headers["location"] == f"{page_path}?lang=fr#offer"
    assert (await own(client, carla))["status"] == "waitlisted"

    page = await client.get(f"{page_path}?lang=fr")
    assert "Une place vous est proposée" in page.text
    forms = {f.attrs["action"] for f in parse(page.text).find_all("form")}
    assert f"{page_path}/accept-offer?lang=fr" in forms
    assert f"{page_path}/decline-offer?lang=fr" in forms
    accepted = await client.post(f"{page_path}/accept-offer?lang=fr", data=hidden_fields(page.text))
    assert accepted.status_code == 303
    assert (await own(client, carla))["status"] == "confirmed"

    dmitri_page = f"/r/{token_of(dmitri)}"
    page = await client.get(dmitri_page)
    declined = await client.post(f"{dmitri_page}/decline-offer", data=hidden_fields(page.text))
    assert declined.status_code == 303
    assert (await own(client, dmitri))["status"] == "cancelled"
    # Without the form's guard the answer is refused and nothing changes.
    emma_page = f"/r/{token_of(full_event[4])}"
    refused = await client.post(f"{emma_page}/accept-offer", data={})
    assert refused.status_code == 403
    assert (await own(client, full_event[4]))["status"] == "waitlisted"


async def test_an_expired_offer_answered_on_the_page_says_so(
    full_event: list[Registrant], client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ana, _, carla, _, _ = full_event
    await client.post(own_path(ana, "/cancel"))
    page_path = f"/r/{token_of(carla)}"
    page = await client.get(page_path)
    clock.advance(hours=25)
    response = await client.post(f"{page_path}/accept-offer", data=hidden_fields(page.text))
    assert response.status_code == 409
    assert "The place offered to you has gone" in response.text
    assert (await own(client, carla))["status"] == "cancelled"


@pytest.mark.slow
async def test_100_simultaneous_cancellations_leave_as_many_open_offers_as_freed_seats(
    committed_app: Any, clock: FakeClock, ticket_key: str
) -> None:
    sessionmaker = committed_app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        await seed_event(session, event_fields(capacity=100, promotion="offer"), now=clock.now())
        event = await get_event(session, "side-event", lock=True)
        tokens: dict[str, list[str]] = {"confirmed": [], "waitlisted": []}
        for status in ["confirmed"] * 100 + ["waitlisted"] * 150:
            data = RegistrationCreate.model_validate(signup_body())
            registration = await new_registration(
                session,
                event=event,
                data=data,
                status=RegistrationStatus(status),
                now=clock.now(),
                ticket_key=ticket_key,
            )
            session.add(registration)
            await session.flush()
            tokens[status].append(await issue_manage_token(session, registration, now=clock.now()))

    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=120) as client:
        answers = await asyncio.gather(
            *(client.post(f"/api/registrations/{t}/cancel") for t in tokens["confirmed"])
        )
        assert {answer.status_code for answer in answers} == {200}
        assert (await client.get("/api/events/side-event")).json()["seats_left"] == 0

    async with sessionmaker() as session:
        counters = await session.scalar(select(EventCounters))
        waiting = list(
            await session.scalars(
                select(Registration)
                .where(Registration.status == RegistrationStatus.waitlisted)
                .order_by(Registration.waitlist_order)
            )
        )
        offers = await session.scalar(
            select(func.count()).where(
                OutboxMessage.kind == MailKind.offer, OutboxMessage.state == DeliveryState.pending
            )
        )
    assert counters is not None
    assert (counters.confirmed, counters.offered, counters.waitlisted) == (0, 100, 150)
    # Exactly the first hundred of the queue hold an offer, each offered once.
    assert [r.offer_expires_at is not None for r in waiting] == [True] * 100 + [False] * 50
    assert offers == 100
