"""The invitations pages, as organisers use them in a browser (here through httpx;
tests/test_dashboard_invitations_browser.py drives Chromium).

Everything is the API's: the same roles, the same all-or-nothing import with its
dry run, the same transition table and refusals; the pages add the forms, the
preview of a CSV file, the confirmation step and the messages next to fields.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Invitation, InvitationStatus, OutboxMessage
from tests.fixtures.dashboard import SignedIn, csrf_in
from tests.fixtures.factories import AuthHeaders
from tests.fixtures.invitations import Invite, invitation_body
from tests.html import parse

LIST = "/admin/events/side-event/invitations"
HEADER = "email,given_name,family_name,organisation,companions_allowed,language\n"
GOOD = "amina@mission.example.org,Amina,Diallo,Permanent Mission of Senegal,1,fr\n"
BAD = "not-an-address,Kofi,,,99,fr\n"


async def count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Invitation)) or 0)


async def status_of(
    sessionmaker: async_sessionmaker[AsyncSession], invitation_id: str
) -> InvitationStatus:
    async with sessionmaker() as session:
        return (await session.get_one(Invitation, uuid.UUID(invitation_id))).status


async def token(client: httpx.AsyncClient, path: str = LIST) -> str:
    return csrf_in((await client.get(path)).text)


def row_ids(html: str) -> list[str]:
    return [
        row.attrs["id"].removeprefix("i-")
        for row in parse(html).find_all("tr")
        if row.attrs.get("id", "").startswith("i-")
    ]


def new_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "email": "mayor@barcelona.example.org",
        "given_name": "Ada",
        "family_name": "Colau",
        "organisation": "City of Barcelona",
        "affiliation_type": "local_government",
        "language": "es",
        "companions_allowed": "1",
        "hold_seats": "yes",
        "allow_delegation": "yes",
        "respond_by": "2013-09-30T18:00",
        "message": "We would be honoured.",
    } | fields


async def test_signed_out_the_list_sends_to_the_sign_in_form(
    event: Any, client: httpx.AsyncClient
) -> None:
    response = await client.get(LIST)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/sign-in?next=")


async def test_the_list_filters_searches_counts_and_links_each_invitation(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, invite: Invite
) -> None:
    ada = await invite(family_name="Colau")
    kofi = await invite(given_name="Kofi", family_name="Annan", organisation="Foundation")
    await signed_in("viewer")
    response = await client.get(LIST)
    assert response.status_code == 200
    assert row_ids(response.text) == [ada["id"], kofi["id"]]
    page = parse(response.text)
    assert page.one("p", id="total").text.strip() == "2 invitations match."
    assert page.one("a", href=f"{LIST}/{ada['id']}").text == "Ada Colau"

    searched = await client.get(LIST, params={"q": "annan"})
    assert row_ids(searched.text) == [kofi["id"]]
    assert parse(searched.text).one("p", id="total").text.strip() == "1 invitation matches."
    none = await client.get(LIST, params={"status": "accepted"})
    assert row_ids(none.text) == []
    assert "checked" in parse(none.text).one("input", id="status-accepted").attrs
    pending = await client.get(LIST, params={"status": ["pending", "revoked"]})
    assert len(row_ids(pending.text)) == 2


async def test_keyset_pages_go_forward_and_back(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, auth_headers: AuthHeaders
) -> None:
    made = await client.post(
        "/api/admin/events/side-event/invitations",
        json={"invitations": [invitation_body(hold_seats=False) for _ in range(55)]},
        headers=await auth_headers("owner"),
    )
    assert made.status_code == 201
    ids = [one["id"] for one in made.json()["invitations"]]
    await signed_in("viewer")
    first = await client.get(LIST)
    assert row_ids(first.text) == ids[:50]
    assert not parse(first.text).find_all("a", rel="prev")
    second = await client.get(parse(first.text).one("a", rel="next").attrs["href"])
    assert row_ids(second.text) == ids[50:]
    back = await client.get(parse(second.text).one("a", rel="prev").attrs["href"])
    assert row_ids(back.text) == ids[:50]


async def test_a_bad_filter_or_cursor_is_a_422_page_that_says_so(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    await signed_in("viewer")
    for params in ({"status": "nonsense"}, {"after": "not-ours"}, {"q": "x" * 201}):
        response = await client.get(LIST, params=params)
        assert response.status_code == 422, params
        assert parse(response.text).one("div", role="alert")


async def test_a_viewer_reads_the_list_and_an_invitation_but_has_no_button(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, invite: Invite
) -> None:
    ada = await invite()
    await signed_in("viewer")
    listed = parse((await client.get(LIST)).text)
    assert not listed.find_all("a", href=f"{LIST}/new")
    assert not listed.find_all("a", href=f"{LIST}/import")
    detail = await client.get(f"{LIST}/{ada['id']}")
    assert detail.status_code == 200
    page = parse(detail.text)
    assert page.one("p", id="status").text == "Waiting for an answer"
    assert [b for b in page.find_all("button") if "data-action" in b.attrs] == []
    assert not page.find_all("a", href=f"{LIST}/{ada['id']}/revoke")
    assert len(page.one("table", id="emails").text) > 0  # the invitation's e-mail


async def test_a_viewer_s_forged_posts_are_refused_and_change_nothing(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    invite: Invite,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ada = await invite()
    await signed_in("viewer")
    csrf = await token(client)
    for path, data in [
        (f"{LIST}/new", new_form(csrf)),
        (f"{LIST}/import", {"csrf_token": csrf, "csv_text": HEADER + GOOD, "confirm": "yes"}),
        (f"{LIST}/{ada['id']}/resend", {"csrf_token": csrf}),
        (f"{LIST}/{ada['id']}/revoke", {"csrf_token": csrf, "confirm": "yes"}),
        (f"{LIST}/{ada['id']}/extend", {"csrf_token": csrf, "respond_by": "2013-09-30T18:00"}),
    ]:
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
        assert "Your role does not allow this" in parse(response.text).one("p", id="message").text
    for path in (f"{LIST}/new", f"{LIST}/import", f"{LIST}/{ada['id']}/revoke"):
        assert (await client.get(path)).status_code == 403, path
    assert await count(sessionmaker) == 1
    assert await status_of(sessionmaker, ada["id"]) == InvitationStatus.pending


async def test_without_or_with_a_wrong_csrf_token_nothing_is_created(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await signed_in("owner")
    for csrf in ("", "0" * 64):
        response = await client.post(f"{LIST}/new", data=new_form(csrf))
        assert response.status_code == 403
        assert "did not come from this site" in parse(response.text).one("p", id="message").text
        imported = await client.post(
            f"{LIST}/import", data={"csrf_token": csrf, "csv_text": HEADER + GOOD, "confirm": "yes"}
        )
        assert imported.status_code == 403
    assert await count(sessionmaker) == 0


async def test_an_owner_invites_someone_who_is_mailed(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await signed_in("owner")
    form = await client.get(f"{LIST}/new")
    assert form.status_code == 200
    blank = parse(form.text)
    assert "checked" in blank.one("input", id="hold_seats").attrs
    response = await client.post(f"{LIST}/new", data=new_form(csrf_in(form.text)))
    assert response.status_code == 303
    path, query = response.headers["location"].split("?")
    assert query == "done=created"
    async with sessionmaker() as session:
        made = (await session.scalars(select(Invitation))).one()
        assert (made.email, made.companions_allowed, made.seats_held) == (
            "mayor@barcelona.example.org",
            1,
            2,
        )
        assert made.respond_by.isoformat() == "2013-09-30T22:00:00+00:00"  # 18:00 in New York
        assert made.message == "We would be honoured."
        mails = await session.scalar(
            select(func.count()).where(OutboxMessage.invitation_id == made.id)
        )
    assert path == f"{LIST}/{made.id}"
    assert mails == 1
    detail = parse((await client.get(response.headers["location"])).text)
    assert "Ada Colau was invited" in detail.one("div", id="done").text
    assert detail.one("table", id="emails").text.count("Waiting to be sent") == 1
    assert detail.one("dd", id="seats-held").text == "2"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": ""}, "email", "Enter the invitee’s e-mail address"),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address in the correct format"),
        ({"given_name": ""}, "given_name", "Enter the given name"),
        ({"family_name": "x" * 101}, "family_name", "Family name must be 100 characters"),
        ({"companions_allowed": "99"}, "companions_allowed", "from 0 to 20"),
        ({"companions_allowed": "two"}, "companions_allowed", "from 0 to 20"),
        ({"language": "xx"}, "language", "Select a language"),
        ({"affiliation_type": "pirates"}, "affiliation_type", "Select the type"),
        ({"respond_by": "tomorrow"}, "respond_by", "in the future"),
        ({"respond_by": "2013-09-01T12:00"}, "respond_by", "in the future"),
        ({"message": "x" * 2001}, "message", "2000 characters or fewer"),
    ],
)
async def test_a_bad_field_shows_the_form_again_with_its_message(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    sessionmaker: async_sessionmaker[AsyncSession],
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    await signed_in("owner")
    response = await client.post(f"{LIST}/new", data=new_form(await token(client), **fields))
    assert response.status_code == 422
    page = parse(response.text)
    assert message in page.one("p", id=f"{field}-error").text
    assert page.one("a", href=f"#{field}")  # the summary links to the field
    assert page.one("input", id="given_name").attrs["value"] == fields.get("given_name", "Ada")
    assert await count(sessionmaker) == 0


async def test_someone_invited_or_registered_already_is_told_next_to_the_address(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    invite: Invite,
    signup: Any,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await invite(email="mayor@barcelona.example.org")
    registered = await signup(email="kofi@example.org")
    assert registered.status_code == 201
    await signed_in("owner")
    csrf = await token(client)
    again = await client.post(f"{LIST}/new", data=new_form(csrf))
    assert again.status_code == 409
    assert "already has an invitation" in parse(again.text).one("p", id="email-error").text
    taken = await client.post(f"{LIST}/new", data=new_form(csrf, email="kofi@example.org"))
    assert taken.status_code == 409
    assert "already registered" in parse(taken.text).one("p", id="email-error").text
    assert await count(sessionmaker) == 1


async def test_more_held_seats_than_are_free_is_told_next_to_the_box(
    make_event: Any, client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    await make_event(capacity=1)
    await signed_in("owner")
    response = await client.post(f"{LIST}/new", data=new_form(await token(client)))
    assert response.status_code == 409
    assert "Not enough free seats" in parse(response.text).one("p", id="hold_seats-error").text


async def test_nobody_is_invited_to_a_called_off_event(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    owner_headers: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    called_off = await client.post("/api/admin/events/side-event/cancel", headers=owner_headers)
    assert called_off.status_code == 200
    await signed_in("owner")
    csrf = await token(client)
    response = await client.post(f"{LIST}/new", data=new_form(csrf))
    assert response.status_code == 409
    assert "called off" in parse(response.text).one("div", role="alert").text
    imported = await client.post(
        f"{LIST}/import", data={"csrf_token": csrf, "csv_text": HEADER + GOOD}
    )
    assert imported.status_code == 409
    assert "cancelled" in parse(imported.text).one("p", id="problem").text
    assert await count(sessionmaker) == 0


async def test_a_csv_file_is_previewed_bad_rows_named_and_nothing_created(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await signed_in("owner")
    form = await client.get(f"{LIST}/import")
    assert form.status_code == 200
    text = HEADER + GOOD + BAD
    response = await client.post(
        f"{LIST}/import", data={"csrf_token": csrf_in(form.text), "csv_text": text}
    )
    assert response.status_code == 422
    page = parse(response.text)
    counts = " ".join(page.one("p", id="counts").text.split())
    assert counts == "1 row is fine. 1 row needs fixing."
    named = {
        (tr.attrs["data-row"], tr.attrs["data-field"])
        for tr in page.find_all("tr")
        if "data-row" in tr.attrs
    }
    assert named == {
        ("3", "email"),
        ("3", "family_name"),
        ("3", "companions_allowed"),
    }
    assert page.one("textarea", id="csv_text").text == text  # back in the box, to fix
    assert not page.find_all("button", id="confirm")
    assert await count(sessionmaker) == 0


async def test_a_fine_file_is_previewed_then_imported_on_confirmation(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await signed_in("owner")
    text = HEADER + GOOD + "kofi@example.org,Kofi,Annan,,0,en\n"
    files = {"csv_file": ("guests.csv", text.encode(), "text/csv")}
    preview = await client.post(
        f"{LIST}/import", data={"csrf_token": await token(client)}, files=files
    )
    assert preview.status_code == 200, preview.text
    page = parse(preview.text)
    assert " ".join(page.one("p", id="counts").text.split()) == (
        "All 2 invitations are ready to send. They would hold 3 seats."
    )
    assert await count(sessionmaker) == 0  # a dry run
    carried = page.one("input", name="csv_text").attrs["value"]
    assert carried == text
    confirmed = await client.post(
        f"{LIST}/import",
        data={"csrf_token": csrf_in(preview.text), "csv_text": carried, "confirm": "yes"},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{LIST}?done=imported"
    assert await count(sessionmaker) == 2
    listed = parse((await client.get(confirmed.headers["location"])).text)
    assert "were created" in listed.one("div", id="done").text


async def test_an_unreadable_or_conflicting_file_is_refused_whole(
    event: Any,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    invite: Invite,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await invite(email="amina@mission.example.org")
    await signed_in("owner")
    csrf = await token(client)
    header = await client.post(
        f"{LIST}/import", data={"csrf_token": csrf, "csv_text": "mail,name\nx,y\n"}
    )
    assert header.status_code == 422
    assert "unknown or repeated columns" in parse(header.text).one("p", id="problem").text
    empty = await client.post(f"{LIST}/import", data={"csrf_token": csrf, "csv_text": ""})
    assert empty.status_code == 422
    taken = await client.post(
        f"{LIST}/import", data={"csrf_token": csrf, "csv_text": HEADER + GOOD, "confirm": "yes"}
    )
    assert taken.status_code == 409
    assert "already has an invitation" in parse(taken.text).one("table", id="bad-rows").text
    assert "2" in parse(taken.text).one("table", id="bad-rows").text
    assert await count(sessionmaker) == 1


async def test_a_file_over_the_import_limit_is_refused(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, settings: Any
) -> None:
    await signed_in("owner")
    big = HEADER + GOOD * (settings.max_import_bytes // len(GOOD) + 1)
    files = {"csv_file": ("big.csv", big.encode(), "text/csv")}
    response = await client.post(
        f"{LIST}/import", data={"csrf_token": await token(client)}, files=files
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "at most 1,000 invitations" in parse(response.text).one("p", id="message").text


@dataclass(frozen=True)
class Pending:
    """An invitation waiting for an answer, and an owner signed in on `client`."""

    id: str
    path: str
    """Its page."""
    csrf: str


@pytest.fixture
async def pending(
    event: Any, client: httpx.AsyncClient, signed_in: SignedIn, invite: Invite
) -> Pending:
    made = await invite()
    await signed_in("owner")
    path = f"{LIST}/{made['id']}"
    return Pending(id=made["id"], path=path, csrf=await token(client, path))


async def test_an_owner_resends_with_a_new_e_mail(
    client: httpx.AsyncClient, pending: Pending
) -> None:
    path = pending.path
    response = await client.post(f"{path}/resend", data={"csrf_token": pending.csrf})
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=resend"
    shown = parse((await client.get(response.headers["location"])).text)
    assert "sent again" in shown.one("div", id="done").text
    assert shown.one("table", id="emails").text.count("Waiting to be sent") == 2


async def test_withdrawing_asks_first_and_cannot_be_done_twice(
    client: httpx.AsyncClient, pending: Pending, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path, csrf = pending.path, pending.csrf
    unconfirmed = await client.post(f"{path}/revoke", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"{path}/revoke"
    assert await status_of(sessionmaker, pending.id) == InvitationStatus.pending
    question = await client.get(f"{path}/revoke")
    assert "cannot be opened again" in question.text
    done = await client.post(
        f"{path}/revoke", data={"csrf_token": csrf_in(question.text), "confirm": "yes"}
    )
    assert done.status_code == 303
    assert await status_of(sessionmaker, pending.id) == InvitationStatus.revoked
    shown = parse((await client.get(path)).text)
    assert shown.one("p", id="status").text == "Withdrawn"
    assert [b for b in shown.find_all("button") if "data-action" in b.attrs] == []
    again = await client.post(f"{path}/revoke", data={"csrf_token": csrf, "confirm": "yes"})
    assert again.status_code == 409
    assert "cannot be done" in parse(again.text).one("p", id="problem").text


async def test_an_owner_extends_the_deadline_and_a_bad_one_is_told(
    client: httpx.AsyncClient, pending: Pending, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path, csrf = pending.path, pending.csrf
    for bad in ("2013-09-01T12:00", "soon", ""):
        refused = await client.post(f"{path}/extend", data={"csrf_token": csrf, "respond_by": bad})
        assert refused.status_code == 422, bad
        page = parse(refused.text)
        assert "in the future" in page.one("p", id="respond_by-error").text
        assert page.one("input", id="respond_by").attrs["value"] == bad
    done = await client.post(
        f"{path}/extend", data={"csrf_token": csrf, "respond_by": "2013-10-01T09:30"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{path}?done=extend"
    async with sessionmaker() as session:
        found = await session.get_one(Invitation, uuid.UUID(pending.id))
        assert found.respond_by.isoformat() == "2013-10-01T13:30:00+00:00"


async def test_an_invitee_s_answer_is_no_organiser_s_action(
    client: httpx.AsyncClient, pending: Pending
) -> None:
    response = await client.post(f"{pending.path}/accept", data={"csrf_token": pending.csrf})
    assert response.status_code == 404
    unknown = await client.get(f"{LIST}/{uuid.uuid4()}")
    assert unknown.status_code == 404
