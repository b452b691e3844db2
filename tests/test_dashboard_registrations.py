"""The registrations table and a registration's page, as organisers use them in a browser
(here through httpx; tests/test_dashboard_browser.py drives Chromium).

The actions are the API's: the same roles, the same transition table, the same
refusals; the pages only add the forms, the confirmation step and the messages.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuditEntry, Registration, RegistrationStatus
from tests.fixtures.dashboard import SignedIn, csrf_in
from tests.fixtures.factories import MakeRegistration
from tests.html import parse

TABLE = "/admin/events/side-event/registrations"


def row_ids(html: str) -> list[str]:
    return [
        row.attrs["id"].removeprefix("r-")
        for row in parse(html).find_all("tr")
        if row.attrs.get("id", "").startswith("r-")
    ]


def buttons(html: str) -> set[str]:
    """The actions the page offers: post buttons and the links to a confirmation."""
    page = parse(html)
    pressed = {b.attrs["data-action"] for b in page.find_all("button") if "data-action" in b.attrs}
    asked = {
        a.attrs["href"].split("?")[0].rsplit("/", 1)[1]
        for a in page.find_all("a")
        if "button--warning" in a.attrs.get("class", "")
    }
    return pressed | asked


async def status_of(
    sessionmaker: async_sessionmaker[AsyncSession], registration: Registration
) -> RegistrationStatus:
    async with sessionmaker() as session:
        found = await session.get_one(Registration, registration.id)
        return found.status


async def test_signed_out_the_table_sends_to_the_sign_in_form(
    event: Any, client: httpx.AsyncClient
) -> None:
    response = await client.get(TABLE)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/sign-in?next=")


async def test_the_table_lists_filters_searches_and_counts(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, make_registration: MakeRegistration
) -> None:
    await signed_in("viewer")
    garcia, _ = await make_registration("confirmed", family_name="García", country="MX")
    pending, _ = await make_registration("pending_approval", family_name="Okafor", country="NG")
    await make_registration("waitlisted", family_name="Nguyen", country="VN")

    everyone = await client.get(TABLE)
    assert everyone.status_code == 200
    assert row_ids(everyone.text) == [str(garcia.id), str(pending.id), row_ids(everyone.text)[2]]
    assert parse(everyone.text).one("p", id="total").text.strip() == "3 registrations match."

    searched = await client.get(TABLE, params={"q": "garcia"})
    assert row_ids(searched.text) == [str(garcia.id)]
    assert parse(searched.text).one("input", id="q").attrs["value"] == "garcia"

    filtered = await client.get(
        TABLE,
        params={
            "status": "pending_approval",
            "country": "NG",
            "checked_in": "no",
            "has_un_grounds_pass": "",
        },
    )
    assert row_ids(filtered.text) == [str(pending.id)]
    assert parse(filtered.text).one("p", id="total").text.strip() == "1 registration matches."
    assert "checked" in parse(filtered.text).one("input", id="status-pending_approval").attrs


async def test_keyset_pages_go_forward_and_back(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, make_registration: MakeRegistration
) -> None:
    await signed_in("viewer")
    made = [str((await make_registration("confirmed"))[0].id) for _ in range(55)]

    first = await client.get(TABLE)
    assert row_ids(first.text) == made[:50]
    page = parse(first.text)
    assert not page.find_all("a", rel="prev")
    second = await client.get(page.one("a", rel="next").attrs["href"])
    assert row_ids(second.text) == made[50:]
    assert not parse(second.text).find_all("a", rel="next")
    back = await client.get(parse(second.text).one("a", rel="prev").attrs["href"])
    assert row_ids(back.text) == made[:50]
    assert not parse(back.text).find_all("a", rel="prev")
    assert parse(back.text).one("a", rel="next")


async def test_a_bad_filter_or_cursor_is_a_422_page_that_says_so(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    await signed_in("viewer")
    for params in (
        {"status": "nonsense"},
        {"country": "Narnia"},
        {"after": "not-ours"},
        {"q": "x" * 201},
    ):
        response = await client.get(TABLE, params=params)
        assert response.status_code == 422, params
        assert parse(response.text).one("div", role="alert")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("viewer", {"confirmed": set(), "pending_approval": set(), "checked_in": set()}),
        (
            "staff",
            {"confirmed": {"check-in"}, "pending_approval": set(), "checked_in": {"undo-check-in"}},
        ),
        (
            "owner",
            {
                "confirmed": {"cancel", "check-in", "resend-confirmation"},
                "pending_approval": {"approve", "decline", "cancel", "resend-confirmation"},
                "checked_in": {"undo-check-in"},
            },
        ),
    ],
)
async def test_each_role_sees_only_the_buttons_it_may_press(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    make_registration: MakeRegistration,
    role: str,
    expected: dict[str, set[str]],
) -> None:
    await signed_in(role)
    for stage, actions in expected.items():
        registration, _ = await make_registration(stage)
        detail = await client.get(f"{TABLE}/{registration.id}")
        assert detail.status_code == 200
        assert buttons(detail.text) == actions, stage


Awaiting = Callable[[str], Awaitable[Registration]]


@pytest.fixture
def awaiting_for(event: Any, signed_in: SignedIn, make_registration: MakeRegistration) -> Awaiting:
    """`await awaiting_for(role)`: an organiser of that role signed in, and Amina
    Diallo's registration awaiting approval."""

    async def make(role: str) -> Registration:
        await signed_in(role)
        registration, _ = await make_registration(
            "pending_approval", given_name="Amina", family_name="Diallo"
        )
        return registration

    return make


@pytest.fixture
async def awaiting(awaiting_for: Awaiting) -> Registration:
    """An owner signed in, and a registration awaiting approval."""
    return await awaiting_for("owner")


async def test_approve_redirects_back_with_a_status_message(
    client: httpx.AsyncClient,
    awaiting: Registration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    registration = awaiting
    table = await client.get(TABLE, params={"status": "pending_approval"})
    form = parse(table.text)
    back = form.find_all("input", name="back")[0].attrs["value"]
    response = await client.post(
        f"{TABLE}/{registration.id}/approve", data={"csrf_token": csrf_in(table.text), "back": back}
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == TABLE
    assert parse_qs(location.query) == {
        "status": ["pending_approval"],
        "done": ["approve"],
        "who": [str(registration.id)],
    }
    assert await status_of(sessionmaker, registration) == RegistrationStatus.confirmed

    after = await client.get(response.headers["location"])
    assert parse(after.text).one("div", role="status").text.strip() == "Amina Diallo was approved."


async def test_decline_asks_first_then_declines(
    client: httpx.AsyncClient,
    awaiting: Registration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    registration = awaiting
    detail = await client.get(f"{TABLE}/{registration.id}")
    link = next(
        a
        for a in parse(detail.text).find_all("a")
        if a.attrs["href"].startswith(f"{TABLE}/{registration.id}/decline")
    )

    question = await client.get(link.attrs["href"])
    assert question.status_code == 200
    page = parse(question.text)
    assert page.one("h1").text == "Decline the registration of Amina Diallo?"
    assert page.one("a", id="back").attrs["href"] == f"{TABLE}/{registration.id}"

    # Posted without the confirmation (say, by a stale form): asked again, nothing changed.
    unconfirmed = await client.post(
        f"{TABLE}/{registration.id}/decline", data={"csrf_token": csrf_in(question.text)}
    )
    assert unconfirmed.status_code == 303
    assert urlsplit(unconfirmed.headers["location"]).path == f"{TABLE}/{registration.id}/decline"
    assert await status_of(sessionmaker, registration) == RegistrationStatus.pending_approval

    data = {i.attrs["name"]: i.attrs["value"] for i in page.find_all("input")}
    declined = await client.post(f"{TABLE}/{registration.id}/decline", data=data)
    assert declined.status_code == 303
    assert urlsplit(declined.headers["location"]).path == f"{TABLE}/{registration.id}"
    assert await status_of(sessionmaker, registration) == RegistrationStatus.declined


async def test_a_forged_post_of_a_lower_role_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
    awaiting_for: Awaiting,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    registration = await awaiting_for("staff")
    table = await client.get(TABLE)
    for action in ("approve", "decline"):
        response = await client.post(
            f"{TABLE}/{registration.id}/{action}",
            data={"csrf_token": csrf_in(table.text), "confirm": "yes"},
        )
        assert response.status_code == 403, action
        assert "<html" in response.text
    assert await status_of(sessionmaker, registration) == RegistrationStatus.pending_approval


async def test_a_post_without_its_csrf_token_is_403(
    client: httpx.AsyncClient,
    awaiting: Registration,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    registration = awaiting
    response = await client.post(
        f"{TABLE}/{registration.id}/approve", data={"csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert await status_of(sessionmaker, registration) == RegistrationStatus.pending_approval


async def test_an_action_the_stage_does_not_allow_is_a_409_page(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, make_registration: MakeRegistration
) -> None:
    await signed_in("owner")
    registration, _ = await make_registration("confirmed")
    table = await client.get(TABLE)
    response = await client.post(
        f"{TABLE}/{registration.id}/approve", data={"csrf_token": csrf_in(table.text)}
    )
    assert response.status_code == 409
    assert "confirmed" in parse(response.text).text


async def test_the_way_back_never_leaves_the_event_s_pages(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, make_registration: MakeRegistration
) -> None:
    await signed_in("owner")
    registration, _ = await make_registration("confirmed")
    table = await client.get(TABLE)
    for back in (
        "https://evil.example/admin",
        "//evil.example",
        "/admin/events/other/registrations",
    ):
        response = await client.post(
            f"{TABLE}/{registration.id}/resend-confirmation",
            data={"csrf_token": csrf_in(table.text), "back": back},
        )
        assert response.status_code == 303
        assert urlsplit(response.headers["location"]).path == f"{TABLE}/{registration.id}"
        assert not urlsplit(response.headers["location"]).netloc


async def test_the_detail_shows_the_e_mails_and_the_audit_trail(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    signup: Any,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    owner = await signed_in("owner")
    created = (await signup(given_name="Amina", family_name="Diallo")).json()
    table = await client.get(TABLE)
    await client.post(f"{TABLE}/{created['id']}/check-in", data={"csrf_token": csrf_in(table.text)})

    detail = await client.get(f"{TABLE}/{created['id']}")
    page = parse(detail.text)
    assert page.one("h1").text == "Amina Diallo"
    assert page.one("p", id="stage").text.strip() == "Checked in"
    emails = page.one("table", id="emails").text
    assert "Waiting to be sent" in emails
    trail = page.one("table", id="trail").text
    assert owner.email in trail and "registration.check-in" in trail
    # Only what changed: the arrival's time, not the status it kept.
    assert "checked_in_at: –" in trail and "checked_in_at: 2013-09-02T14:00:00+00:00" in trail
    assert "status" not in trail
    async with sessionmaker() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.target_id == created["id"]))
        ).all()
    assert len(entries) == 1


async def test_an_unknown_registration_is_a_404_page(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    await signed_in("viewer")
    response = await client.get(f"{TABLE}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "<html" in response.text
