"""The exports page (the CSV with chosen columns, the security list) and the audit log
page, under the dashboard's session."""

import csv
import io

import httpx

from app.events.schemas import EventFields
from app.exports.attendees_csv import COLUMNS
from app.models import Organiser
from tests.fixtures.dashboard import SignedIn
from tests.fixtures.factories import MakeRegistration
from tests.html import parse

EXPORTS = "/admin/events/side-event/exports"
AUDIT = "/admin/events/side-event/audit"


async def test_the_exports_page_offers_every_column_and_both_files(
    signed_in_viewer: Organiser, client: httpx.AsyncClient
) -> None:
    page = parse((await client.get(EXPORTS)).text)
    form = page.one("form", method="get")
    assert form.attrs["action"] == f"{EXPORTS}/registrations.csv"
    boxes = page.find_all("input", name="columns")
    assert [box.attrs["value"] for box in boxes] == list(COLUMNS)
    assert all("checked" in box.attrs for box in boxes)
    assert page.one("label", for_="column-family_name").text == "Family name"
    assert page.find_all("a", href=f"{EXPORTS}/security-list.xlsx")


async def test_the_csv_has_the_chosen_columns_and_statuses_and_is_audited(
    signed_in_viewer: Organiser, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    await make_registration("confirmed", family_name="Quispe")
    await make_registration("waitlisted", family_name="Okafor")
    response = await client.get(
        f"{EXPORTS}/registrations.csv",
        params=[
            ("columns", "family_name"),
            ("columns", "status"),
            ("status", "waitlisted"),
            ("dialect", "rfc4180"),
        ],
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="side-event-')
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["family_name", "status"],
        ["Okafor", "waitlisted"],
    ]
    audit = parse((await client.get(AUDIT)).text)
    assert "event.export_csv" in audit.text
    assert signed_in_viewer.email in audit.text


async def test_no_columns_ticked_means_every_column_and_an_unknown_one_is_a_422_page(
    signed_in_viewer: Organiser, client: httpx.AsyncClient
) -> None:
    every = await client.get(f"{EXPORTS}/registrations.csv")
    assert every.text.lstrip("\ufeff").splitlines()[0].startswith("id,event_slug,email,")
    bad = await client.get(f"{EXPORTS}/registrations.csv", params={"columns": "password"})
    assert bad.status_code == 422
    assert parse(bad.text).one("h1").text == "This page could not be shown"


async def test_the_security_list_downloads_under_the_session(
    signed_in_viewer: Organiser, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    await make_registration("confirmed")
    response = await client.get(f"{EXPORTS}/security-list.xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"  # a zip, as every .xlsx is
    assert "security-list" in response.headers["content-disposition"]


async def test_downloads_need_a_session(client: httpx.AsyncClient, event: EventFields) -> None:
    for path in (f"{EXPORTS}/registrations.csv", f"{EXPORTS}/security-list.xlsx", AUDIT):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/sign-in?next=")


async def test_the_audit_log_pages_newest_first_fifty_at_a_time(
    signed_in: SignedIn,
    client: httpx.AsyncClient,
    event: EventFields,
    make_registration: MakeRegistration,
) -> None:
    await make_registration("confirmed")
    owner: Organiser = await signed_in("owner")
    for _ in range(51):
        assert (await client.get(f"{EXPORTS}/security-list.xlsx")).status_code == 200
    await client.get(f"{EXPORTS}/registrations.csv")
    first = await client.get(AUDIT)
    page = parse(first.text)
    # With the event's creation, by the seeding command.
    assert "53 changes to this event, newest first." in page.text
    rows = page.find_all("tr")[1:]
    assert len(rows) == 50
    assert "event.export_csv" in rows[0].text
    older = page.one("a", rel="next").attrs["href"]
    second = parse((await client.get(older)).text)
    assert len(second.find_all("tr")[1:]) == 3
    assert "event.create" in second.find_all("tr")[-1].text
    assert second.find_all("a", rel="next") == []
    assert [a.text for a in second.find_all("a", href=AUDIT)] == ["Audit", "Newest changes"]
    assert owner.email in second.text


async def test_a_cursor_we_did_not_issue_is_a_400_page(
    signed_in_viewer: Organiser, client: httpx.AsyncClient
) -> None:
    response = await client.get(AUDIT, params={"cursor": "forged"})
    assert response.status_code == 400
