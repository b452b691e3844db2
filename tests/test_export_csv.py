"""The attendee CSV, built by the export service (the endpoint adds auth and filters)."""

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.service import get_event
from app.exports.attendees_csv import COLUMNS, CsvDialect, UnknownColumns, parse_columns, stream_csv
from app.exports.cells import neutralise
from app.registrations.filters import RegistrationFilters
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent


async def export(
    session: AsyncSession,
    columns: str | None = None,
    dialect: CsvDialect = CsvDialect.excel,
    **filters: Any,
) -> bytes:
    event = await get_event(session, "side-event")
    chunks = stream_csv(
        session,
        event=event,
        filters=RegistrationFilters.model_validate(filters),
        columns=parse_columns(columns),
        dialect=dialect,
    )
    return b"".join([chunk async for chunk in chunks])


def parse(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_csv_parses_back_into_the_filtered_registrations_with_chosen_columns(
    make_event: MakeEvent, signup: Signup, session: AsyncSession, clock: FakeClock
) -> None:
    await make_event(capacity=1)
    await signup(email="first@example.org", family_name="First")
    clock.advance(minutes=1)
    await signup(email="second@example.org", family_name="Second")
    rows = parse(
        await export(session, "status,family_name,email,waitlist_position", status=["waitlisted"])
    )
    expected = {
        "status": "waitlisted",
        "family_name": "Second",
        "email": "second@example.org",
        "waitlist_position": "1",
    }
    assert rows == [expected]
    assert list(rows[0]) == ["status", "family_name", "email", "waitlist_position"]


async def test_csv_has_every_column_by_default_with_times_in_the_event_zone(
    event: object, signup: Signup, session: AsyncSession
) -> None:
    await signup()
    (row,) = parse(await export(session))
    assert list(row) == list(COLUMNS)
    assert row["event_slug"] == "side-event"
    assert row["created_at"] == "2013-09-02T10:00:00-04:00"
    assert row["checked_in_at"] == ""
    assert row["has_un_grounds_pass"] == "false"


async def test_excel_dialect_has_a_bom_and_crlf(
    event: object, signup: Signup, session: AsyncSession
) -> None:
    await signup()
    data = await export(session, "email")
    assert data.startswith(b"\xef\xbb\xbfemail\r\n")
    assert data.endswith(b"\r\n")


async def test_rfc4180_dialect_has_no_bom(
    event: object, signup: Signup, session: AsyncSession
) -> None:
    await signup()
    assert (await export(session, "email", CsvDialect.rfc4180)).startswith(b"email\r\n")


@pytest.mark.parametrize(
    "given,family",
    [("محمد", "العلي"), ("伟", "王"), ("Дмитрий", "Иванов"), ("Zoë", "Ñúñez-Çelik")],
    ids=["arabic", "chinese", "cyrillic", "accents"],
)
async def test_names_in_any_script_round_trip(
    event: object, signup: Signup, session: AsyncSession, given: str, family: str
) -> None:
    await signup(given_name=given, family_name=family)
    (row,) = parse(await export(session, "given_name,family_name"))
    assert (row["given_name"], row["family_name"]) == (given, family)


@pytest.mark.parametrize(
    "organisation",
    ['=HYPERLINK("http://example.invalid","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3"],
)
async def test_formula_like_values_export_as_inert_text(
    event: object, signup: Signup, session: AsyncSession, organisation: str
) -> None:
    await signup(organisation=organisation)
    (row,) = parse(await export(session, "organisation"))
    assert row["organisation"] == "'" + organisation


async def test_a_line_break_stays_inside_one_row(
    event: object, signup: Signup, session: AsyncSession
) -> None:
    await signup(accessibility_needs="Wheelchair access\nSign language interpreter")
    await signup()
    rows = parse(await export(session, "accessibility_needs"))
    assert len(rows) == 2
    assert "Wheelchair access\nSign language interpreter" in [
        r["accessibility_needs"] for r in rows
    ]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("+1 212 963 1234", "+1 212 963 1234"),
        ("-5", "-5"),
        ("(212) 963-1234", "(212) 963-1234"),
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-", "'-"),
        ("\tx", "'\tx"),
        ("@user", "'@user"),
        ("City of Athens", "City of Athens"),
    ],
)
def test_neutralise_keeps_typed_numbers_readable(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_unknown_columns_are_named_in_the_error() -> None:
    with pytest.raises(UnknownColumns, match="shoe_size"):
        parse_columns("email,shoe_size")


SEMICOLON_PAYLOADS = [
    ";=1+1",
    'Mairie de Lyon;=HYPERLINK("http://example.invalid")',
    "Stadt; -2+3",
    "a,@SUM(1+1)",
    "x;;+cmd|' /C calc'!A0",
    "Ville, =1+1; @x",
]


def _formula_cells(data: bytes, delimiter: str) -> list[str]:
    """Cells that a spreadsheet splitting on `delimiter` would read as a formula."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return [
        cell
        for row in rows
        for cell in row
        if cell.lstrip(" ").startswith(("=", "+", "-", "@"))
        and not re.fullmatch(r"[+-]?[\d\s()./-]*\d[\d\s()./-]*", cell.strip())
    ]


@pytest.mark.parametrize("payload", SEMICOLON_PAYLOADS)
async def test_no_cell_is_a_formula_whichever_separator_opens_the_file(
    event: object, signup: Signup, session: AsyncSession, payload: str
) -> None:
    await signup(
        given_name=payload,
        family_name=payload,
        organisation=payload,
        job_title=payload,
        accessibility_needs=f"{payload}\n{payload}",
        email="delegate@example.org",
    )
    data = await export(session)
    for delimiter in (",", ";", "\t"):
        assert _formula_cells(data, delimiter) == [], delimiter
    # Read the intended way, each value comes back whole, marks included.
    (row,) = parse(data)
    assert row["organisation"] == neutralise(payload)
    assert row["organisation"].replace("'", "") == payload.replace("'", "")


@pytest.mark.parametrize(
    "value,expected",
    [
        (";=1+1", ";'=1+1"),
        ("Mairie;=1+1", "Mairie;'=1+1"),
        ("a, -b", "a, '-b"),
        ("x\t@y", "x\t'@y"),
        ("\t=1", "'\t'=1"),
        ("a\n=1", "a\n'=1"),
        ("Tel, +1 212 963 1234", "Tel, +1 212 963 1234"),
        ("Rue 5; 75001 Paris", "Rue 5; 75001 Paris"),
    ],
)
def test_a_formula_after_any_separator_is_marked_as_text(value: str, expected: str) -> None:
    assert neutralise(value) == expected
