"""Organisers' broadcasts: who may send one, to whom it goes, what arrives, the history
and the rule against sending the same message twice in a minute."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry, Broadcast, MailKind, OutboxMessage
from tests.fixtures.app import BASE_URL
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration, signup_body
from tests.fixtures.mail import SendQueued, SmtpServer
from tests.html import parse
from tests.test_admin_concurrency import setup
from tests.test_mail_messages import html_of, text_of

MESSAGES = "/api/admin/events/side-event/messages"
REGISTRATIONS = "/api/admin/events/side-event/registrations"
NOTE = {"subject": "Room change", "body": "We now meet in Conference Room 4."}


async def broadcast_rows(session: AsyncSession) -> int:
    query = select(func.count()).where(OutboxMessage.kind == MailKind.broadcast)
    return await session.scalar(query) or 0


@pytest.fixture
async def people(make_event: MakeEvent, make_registration: MakeRegistration) -> None:
    """Six registrants, told apart by status, affiliation, country, pass and check-in."""
    await make_event()
    made = [
        ("confirmed", "ana@cuenca.example", "local_government", "EC", False),
        ("confirmed", "eleni@athens.example", "local_government", "GR", True),
        ("checked_in", "amina@iom.example", "un_system", "SN", True),
        ("waitlisted", "jose@bcn.example", "local_government", "ES", False),
        ("cancelled", "li@un.example", "un_system", "CN", True),
        ("pending_approval", "olga@ngo.example", "civil_society", "RU", False),
    ]
    for stage, email, affiliation, country, grounds_pass in made:
        await make_registration(
            stage,
            email=email,
            affiliation_type=affiliation,
            country=country,
            has_un_grounds_pass=grounds_pass,
        )


async def test_only_an_owner_may_send_a_broadcast(
    people: None, client: httpx.AsyncClient, auth_headers: AuthHeaders, session: AsyncSession
) -> None:
    assert (await client.post(MESSAGES, json=NOTE)).status_code == 401
    for role in ("viewer", "staff"):
        refused = await client.post(MESSAGES, json=NOTE, headers=await auth_headers(role))
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"
    assert await broadcast_rows(session) == 0
    assert (await client.get(MESSAGES)).status_code == 401

    sent = await client.post(MESSAGES, json=NOTE, headers=await auth_headers("owner"))
    assert sent.status_code == 201
    assert sent.json()["recipients"] == 6  # without filters: everyone the list shows
    # The history is for every organiser to read.
    listed = await client.get(MESSAGES, headers=await auth_headers("viewer"))
    assert [item["id"] for item in listed.json()["items"]] == [sent.json()["id"]]


async def test_an_unknown_event_is_404(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    answer = await client.post(
        "/api/admin/events/nowhere/messages", json=NOTE, headers=await auth_headers()
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("filters", "query", "expected"),
    [
        (
            {},
            {},
            {
                "ana@cuenca.example",
                "eleni@athens.example",
                "amina@iom.example",
                "jose@bcn.example",
                "li@un.example",
                "olga@ngo.example",
            },
        ),
        (
            {"status": ["confirmed"]},
            {"status": "confirmed"},
            {"ana@cuenca.example", "eleni@athens.example", "amina@iom.example"},
        ),
        (
            {"status": ["confirmed", "waitlisted"], "affiliation_type": ["local_government"]},
            {"status": "confirmed,waitlisted", "affiliation_type": "local_government"},
            {"ana@cuenca.example", "eleni@athens.example", "jose@bcn.example"},
        ),
        (
            {"has_un_grounds_pass": [True], "country": ["GR", "CN"]},
            {"has_un_grounds_pass": "true", "country": "GR,CN"},
            {"eleni@athens.example", "li@un.example"},
        ),
        (
            {"status": ["confirmed"], "checked_in": [False]},
            {"status": "confirmed", "checked_in": "false"},
            {"ana@cuenca.example", "eleni@athens.example"},
        ),
        (
            {"checked_in": [True, False], "q": "iom.example"},
            {"q": "iom.example"},
            {"amina@iom.example"},
        ),
    ],
    ids=[
        "everyone listed",
        "confirmed",
        "two statuses and local government",
        "pass and countries",
        "not checked in",
        "either and words",
    ],
)
async def test_the_filters_pick_exactly_whom_the_list_shows(
    people: None,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    session: AsyncSession,
    filters: dict[str, Any],
    query: dict[str, str],
    expected: set[str],
) -> None:
    headers = await auth_headers()
    listed = await client.get(REGISTRATIONS, params=query, headers=headers)
    assert {item["email"] for item in listed.json()["items"]} == expected

    sent = await client.post(MESSAGES, json=NOTE | filters, headers=headers)
    assert sent.status_code == 201
    assert sent.json()["recipients"] == len(expected)
    # Stored as given, each list sorted and without repeats.
    assert sent.json()["filters"] == {
        name: sorted(set(value)) if isinstance(value, list) else value
        for name, value in filters.items()
    }
    recipients = await session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.broadcast_id == sent.json()["id"])
    )
    assert set(recipients) == expected


async def test_the_message_arrives_with_the_body_escaped_in_html_and_the_frame_translated(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event()
    await make_registration("confirmed", email="marie@paris.example", language="fr")
    body = "Tom & Jerry <script>alert(1)</script>\nsecond line\n\nA new paragraph."
    sent = await client.post(
        MESSAGES,
        # A line break in the subject cannot start a header of its own.
        json={"subject": "Room change\r\nBcc: everyone@example.org", "body": body},
        headers=await auth_headers(),
    )
    assert sent.status_code == 201
    assert sent.json()["subject"] == "Room change Bcc: everyone@example.org"
    await send_queued()

    (message,) = smtp_server.handler.messages
    assert smtp_server.handler.recipients == ["marie@paris.example"]
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "Room change Bcc: everyone@example.org"
    assert message["Content-Language"] == "fr"
    text = text_of(message).replace("\r\n", "\n")
    assert body in text
    assert "Les organisateurs de « " in text  # the frame in the registrant's language
    html = html_of(message)
    assert "<script>" not in html
    assert "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;<br>\r\nsecond line" in html
    paragraphs = [p.text for p in parse(html).find_all("p")]
    assert "A new paragraph." in paragraphs


async def test_the_history_says_what_went_when_by_whom_to_how_many_and_how_it_went(
    people: None,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    send_queued: SendQueued,
    session: AsyncSession,
) -> None:
    headers = await auth_headers()
    first = await client.post(MESSAGES, json=NOTE | {"status": ["waitlisted"]}, headers=headers)
    await send_queued()
    clock.advance(minutes=5)
    later = {"subject": "Agenda", "body": "The agenda is attached to the event page."}
    second = await client.post(MESSAGES, json=later | {"status": ["confirmed"]}, headers=headers)

    history = (await client.get(MESSAGES, headers=headers)).json()["items"]
    assert [item["id"] for item in history] == [second.json()["id"], first.json()["id"]]
    newest, oldest = history
    assert (newest["subject"], newest["body"], newest["recipients"]) == ("Agenda", later["body"], 3)
    assert newest["delivery"] == {"pending": 3, "sent": 0, "failed": 0, "suppressed": 0}
    assert oldest["delivery"] == {"pending": 0, "sent": 1, "failed": 0, "suppressed": 0}
    assert oldest["filters"] == {"status": ["waitlisted"]}
    assert newest["sent_by"].startswith("owner-")
    assert newest["created_at"] > oldest["created_at"]

    audited = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "broadcast.sent").order_by(AuditEntry.id)
    )
    assert [(entry.target_id, entry.after["recipients"]) for entry in audited] == [
        (first.json()["id"], 1),
        (second.json()["id"], 3),
    ]


async def test_the_same_message_to_the_same_people_within_a_minute_is_refused(
    people: None,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    headers = await auth_headers()
    to_confirmed = NOTE | {"status": ["confirmed"]}
    assert (await client.post(MESSAGES, json=to_confirmed, headers=headers)).status_code == 201

    clock.advance(seconds=20)
    # The same filters in another order are the same people.
    again = NOTE | {"status": ["confirmed", "confirmed"]}
    refused = await client.post(MESSAGES, json=again, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert refused.headers["Retry-After"] == "40"
    assert await broadcast_rows(session) == 3

    # Other words, or other people, are another message.
    other_text = to_confirmed | {"body": "We now meet in Conference Room 5."}
    assert (await client.post(MESSAGES, json=other_text, headers=headers)).status_code == 201
    to_waitlist = NOTE | {"status": ["waitlisted"]}
    assert (await client.post(MESSAGES, json=to_waitlist, headers=headers)).status_code == 201

    clock.advance(seconds=40)
    assert (await client.post(MESSAGES, json=to_confirmed, headers=headers)).status_code == 201
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 4


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "", "body": "Hello"},
        {"subject": "   ", "body": "Hello"},
        {"subject": "Hello", "body": ""},
        {"subject": "Hello", "body": "\n \n"},
        {"subject": "S" * 201, "body": "Hello"},
        {"subject": "Hello", "body": "B" * 10_001},
        {"body": "Hello"},
        {"subject": "Hello"},
        NOTE | {"status": ["maybe"]},
        NOTE | {"status": []},
        NOTE | {"country": ["XX"]},
        NOTE | {"affiliation_type": ["press"]},
        NOTE | {"checked_in": ["sometimes"]},
        NOTE | {"status": "confirmed"},
        NOTE | {"role": ["owner"]},
    ],
    ids=[
        "empty subject",
        "blank subject",
        "empty body",
        "blank body",
        "subject too long",
        "body too long",
        "no subject",
        "no body",
        "unknown status",
        "no statuses",
        "unknown country",
        "unknown affiliation",
        "not a yes or no",
        "not a list",
        "unknown filter",
    ],
)
async def test_a_bad_request_is_422_and_sends_nothing(
    people: None,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    session: AsyncSession,
    body: dict[str, Any],
) -> None:
    answer = await client.post(MESSAGES, json=body, headers=await auth_headers())
    assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")
    assert await broadcast_rows(session) == 0
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_identical_requests_at_once_send_one_broadcast(
    committed_app: Any, clock: FakeClock
) -> None:
    """Through the real per-request transactions: the advisory lock lets one through."""
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
        headers = await setup(committed_app, clock)
        for _ in range(3):
            await client.post("/api/events/side-event/registrations", json=signup_body())
        answers = await asyncio.gather(
            *(client.post(MESSAGES, json=NOTE, headers=headers) for _ in range(5))
        )
    assert sorted(answer.status_code for answer in answers) == [201, 429, 429, 429, 429]
    async with committed_app.state.sessionmaker() as session:
        assert await broadcast_rows(session) == 3
