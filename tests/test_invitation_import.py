"""Inviting many at once, all or nothing: a JSON list or a CSV file with a header row;
every bad row named by its number and field; `dry_run` checks only; each invitee gets
one e-mail with their RSVP link."""

import csv
import io
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Invitation, OutboxMessage
from tests.fixtures.factories import MakeEvent
from tests.fixtures.invitations import invitation_body, rsvp_token
from tests.fixtures.mail import SendQueued, SmtpServer

ADMIN = "/api/admin/events/side-event/invitations"
COLUMNS = ["email", "given_name", "family_name", "organisation", "companions_allowed", "language"]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _people(count: int) -> list[dict[str, Any]]:
    return [
        {
            "email": f"delegate{n:04d}@mission.example.org",
            "given_name": "Amina",
            "family_name": f"Diallo {n}",
            "organisation": "Permanent Mission of Senegal",
            "companions_allowed": "0",
            "language": "fr",
        }
        for n in range(count)
    ]


async def _count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_csv_of_1000_with_3_bad_rows_is_refused_whole_then_imported_once_fixed(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    owner_headers: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    send_queued: SendQueued,
) -> None:
    await make_event(capacity=1000)
    people = _people(1000)
    good = [dict(person) for person in people]
    people[9]["email"] = "not-an-address"  # spreadsheet row 11 (the header is row 1)
    people[499]["given_name"] = ""  # row 501
    people[997]["companions_allowed"] = "-1"  # row 999
    headers = owner_headers | {"Content-Type": "text/csv"}

    refused = await client.post(ADMIN, content=_csv(people), headers=headers)

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_error"
    problems = refused.json()["rows"]
    assert sorted({p["row"] for p in problems}) == [11, 501, 999]
    assert {(p["row"], p["field"]) for p in problems} == {
        (11, "email"),
        (501, "given_name"),
        (999, "companions_allowed"),
    }
    assert await _count(sessionmaker, Invitation) == 0
    assert await _count(sessionmaker, OutboxMessage) == 0

    checked = await client.post(f"{ADMIN}?dry_run=true", content=_csv(good), headers=headers)
    assert checked.status_code == 200
    assert checked.json() == {"dry_run": True, "count": 1000, "seats_to_hold": 1000}
    assert await _count(sessionmaker, Invitation) == 0

    imported = await client.post(ADMIN, content=_csv(good), headers=headers)

    assert imported.status_code == 201, imported.text
    made = imported.json()["invitations"]
    assert len(made) == 1000
    assert all(one["rsvp_url"].startswith("http://rsvp.test/i/") for one in made)
    assert len({one["rsvp_url"] for one in made}) == 1000
    assert (await client.get("/api/events/side-event")).json()["seats_left"] == 0

    await send_queued()
    await send_queued()  # nothing is left to send twice
    assert sorted(smtp_server.handler.recipients) == sorted(p["email"] for p in good)
    links = {
        line.strip()
        for message in smtp_server.handler.messages
        for line in message.get_body(("plain",)).get_content().splitlines()  # type: ignore[union-attr]
        if "/i/" in line
    }
    assert {link.split("?")[0] for link in links} == {one["rsvp_url"] for one in made}
    async with sessionmaker() as session:
        kept = await session.scalar(
            select(func.count()).where(OutboxMessage.rsvp_token.is_not(None))
        )
    assert kept == 0  # the links' tokens are not kept once sent


async def test_a_json_list_names_each_bad_row_and_creates_nothing(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    owner_headers: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event()
    rows = [
        invitation_body(email="a@example.org"),
        invitation_body(email="a@example.org"),  # the same person twice
        invitation_body(respond_by="2013-09-01T00:00:00+00:00"),  # already past
        invitation_body(language="de"),
    ]
    response = await client.post(ADMIN, json={"invitations": rows}, headers=owner_headers)
    assert response.status_code == 422
    assert [(p["row"], p["field"]) for p in response.json()["rows"]] == [(4, "language")]

    del rows[3]
    response = await client.post(ADMIN, json={"invitations": rows}, headers=owner_headers)
    assert response.status_code == 422
    assert [(p["row"], p["field"]) for p in response.json()["rows"]] == [
        (2, "email"),
        (3, "respond_by"),
    ]
    assert await _count(sessionmaker, Invitation) == 0


async def test_a_csv_file_names_the_already_invited_by_their_line_in_the_file(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    owner_headers: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_event()
    people = _people(3)
    made = await client.post(
        ADMIN, json=invitation_body(email=people[1]["email"]), headers=owner_headers
    )
    assert made.status_code == 201
    csv_headers = owner_headers | {"Content-Type": "text/csv"}
    response = await client.post(ADMIN, content=_csv(people), headers=csv_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "already_invited"
    # The second person is on the file's third line, under the header.
    assert [p["row"] for p in response.json()["rows"]] == [3]
    assert await _count(sessionmaker, Invitation) == 1


async def test_one_invitation_is_answered_as_itself_and_listed(
    client: httpx.AsyncClient, make_event: MakeEvent, owner_headers: dict[str, str]
) -> None:
    await make_event(registration_closes_at="2013-10-01T12:00:00-04:00")
    response = await client.post(ADMIN, json=invitation_body(), headers=owner_headers)
    assert response.status_code == 201
    made = response.json()
    assert made["invitations"][0]["id"] == made["id"]
    # The deadline defaults to the close of registration.
    assert made["respond_by"] == "2013-10-01T16:00:00Z"
    assert (await client.get(f"/api/invitations/{rsvp_token(made)}")).status_code == 200


async def test_the_list_filters_searches_and_pages(
    client: httpx.AsyncClient, make_event: MakeEvent, owner_headers: dict[str, str]
) -> None:
    await make_event()
    rows = [invitation_body(family_name=f"García {n}") for n in range(5)]
    rows.append(invitation_body(family_name="Okafor"))
    made = (await client.post(ADMIN, json={"invitations": rows}, headers=owner_headers)).json()[
        "invitations"
    ]
    await client.post(f"/api/invitations/{rsvp_token(made[0])}/decline")

    first = (await client.get(f"{ADMIN}?q=garcia&limit=2", headers=owner_headers)).json()
    assert first["total"] == 5
    assert len(first["items"]) == 2
    second = (
        await client.get(
            f"{ADMIN}?q=garcia&limit=2&cursor={first['next_cursor']}", headers=owner_headers
        )
    ).json()
    assert [one["id"] for one in first["items"] + second["items"]] == [m["id"] for m in made[:4]]
    declined = (await client.get(f"{ADMIN}?status=declined", headers=owner_headers)).json()
    assert [one["id"] for one in declined["items"]] == [made[0]["id"]]
    assert declined["total"] == 1
    bad = await client.get(f"{ADMIN}?status=maybe", headers=owner_headers)
    assert bad.status_code == 422


async def test_the_detail_shows_the_email_history_and_stats_count_by_status(
    client: httpx.AsyncClient,
    make_event: MakeEvent,
    owner_headers: dict[str, str],
) -> None:
    await make_event(capacity=10)
    made = (
        await client.post(ADMIN, json=invitation_body(companions_allowed=2), headers=owner_headers)
    ).json()
    await client.post(f"{ADMIN}/{made['id']}/resend", headers=owner_headers)

    detail = (await client.get(f"{ADMIN}/{made['id']}", headers=owner_headers)).json()

    assert [email["kind"] for email in detail["emails"]] == ["invitation", "invitation"]
    stats = (await client.get("/api/admin/events/side-event/stats", headers=owner_headers)).json()
    assert stats["invitations"]["pending"] == 1
    assert stats["seats_held"] == 3
    assert stats["seats_left"] == 7


async def test_csv_with_an_unknown_column_or_media_type_is_refused(
    client: httpx.AsyncClient, make_event: MakeEvent, owner_headers: dict[str, str]
) -> None:
    await make_event()
    csv_headers = owner_headers | {"Content-Type": "text/csv"}
    unknown = await client.post(
        ADMIN, content=b"email,shoe_size\r\na@example.org,42\r\n", headers=csv_headers
    )
    assert unknown.status_code == 422
    assert "shoe_size" in unknown.json()["detail"]
    not_utf8 = await client.post(ADMIN, content=b"email\r\n\xff\xfe\r\n", headers=csv_headers)
    assert not_utf8.status_code == 422
    xml = await client.post(
        ADMIN, content=b"<x/>", headers=owner_headers | {"Content-Type": "application/xml"}
    )
    assert xml.status_code == 415
    broken = await client.post(
        ADMIN, content=b"{", headers=owner_headers | {"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
