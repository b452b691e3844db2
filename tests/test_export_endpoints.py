"""The export endpoints: filters, columns, headers, bad parameters, and the audit trail."""

import csv
import io
from io import BytesIO

import httpx
import openpyxl
import pytest

from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent

CSV_PATH = "/api/admin/events/side-event/registrations.csv"
XLSX_PATH = "/api/admin/events/side-event/security-list.xlsx"


@pytest.fixture
async def viewer(auth_headers: AuthHeaders) -> dict[str, str]:
    return await auth_headers("viewer")


def rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def test_csv_applies_the_list_filters_and_chosen_columns(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    clock: FakeClock,
) -> None:
    await make_event(capacity=1)
    await signup(family_name="Seated", country="GR")
    clock.advance(minutes=1)
    await signup(family_name="Waiting", country="EC")
    response = await client.get(
        CSV_PATH,
        params={"status": "waitlisted", "columns": "family_name,waitlist_position"},
        headers=viewer,
    )
    assert response.status_code == 200
    assert rows(response) == [{"family_name": "Waiting", "waitlist_position": "1"}]


async def test_csv_is_an_attachment_named_for_the_event_and_time(
    event: object, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get(CSV_PATH, headers=viewer)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="side-event-20130902-100000.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")


async def test_csv_in_rfc4180_has_no_bom(
    event: object, signup: Signup, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    await signup()
    response = await client.get(CSV_PATH, params={"dialect": "rfc4180"}, headers=viewer)
    assert response.content.startswith(b"id,event_slug,")


@pytest.mark.parametrize(
    "params",
    [
        {"columns": "email,password"},
        {"dialect": "tsv"},
        {"status": "maybe"},
        {"country": "XX"},
        {"checked_in": "sometimes"},
    ],
    ids=["unknown column", "unknown dialect", "unknown status", "unknown country", "not a bool"],
)
async def test_csv_refuses_bad_parameters_clearly(
    event: object, client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get(CSV_PATH, params=params, headers=viewer)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_csv_for_an_unknown_event_is_not_found(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get("/api/admin/events/nope/registrations.csv", headers=viewer)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_each_export_is_in_the_audit_log_with_who_filters_and_rows(
    event: object,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
) -> None:
    await signup(country="GR")
    await signup(country="EC")
    owner = await auth_headers("owner")
    await client.get(CSV_PATH, params={"country": "GR", "columns": "email"}, headers=owner)
    await client.get(XLSX_PATH, headers=owner)
    entries = (await client.get("/api/admin/audit", headers=owner)).json()["items"]
    security, csv_export = entries[0], entries[1]
    assert csv_export["action"] == "event.export_csv"
    assert csv_export["after"]["filters"] == {"country": ["GR"]}
    assert csv_export["after"]["columns"] == ["email"]
    assert csv_export["after"]["rows"] == 1
    assert security["action"] == "event.export_security_list"
    assert security["after"]["rows"] == 2
    assert csv_export["actor"] == security["actor"]


async def test_security_list_downloads_as_a_workbook(
    event: object, signup: Signup, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    await signup(family_name="Papadopoulou")
    response = await client.get(XLSX_PATH, headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="side-event-security-list-'
    )
    workbook = openpyxl.load_workbook(BytesIO(response.content))
    values = [c for row in workbook["Requests"].iter_rows(values_only=True) for c in row]
    assert "Papadopoulou" in values
