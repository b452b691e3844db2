"""The attendee CSV as PostgreSQL's COPY: the formula rule in SQL means what `neutralise`
means, rows end in CRLF while line breaks inside values stay, and the file read
through the endpoint holds no formula whichever separator a spreadsheet splits on."""

import csv
import io
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import ARRAY, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.cells import neutralise, neutralised
from app.exports.copy_stream import crlf_rows
from app.models.registration import FORMULA_AT_RISK
from tests.fixtures.app import Signup
from tests.fixtures.factories import AuthHeaders
from tests.test_export_csv import _formula_cells

CSV_PATH = "/api/admin/events/side-event/registrations.csv"

# Values the rule must treat with care: triggers after every separator, numbers, and
# digits and spaces that only Unicode (not the rule) counts as such.
CORNERS = [
    "", " ", "=1+1", " =1", "+A1", "-", "-5", "+1 212 963 1234", "(212) 963-1234",
    "@user", "\tx", "\rx", "\t5", "\t=1", "a\n=1", ";=1+1", "Mairie;=1+1", "a, -b",
    "x\t@y", "Tel, +1 212 963 1234", "Rue 5; 75001 Paris", "x;;+cmd|' /C calc'!A0",
    "Ville, =1+1; @x", "-٥", "+1\xa02", "- 5", "5-", "+", "a@b.org", "Ñúñez-Çelik",
    "1\f2", "-1\v", "=", ",", "\n", "\r\n-2", "'=1", "a,,=b", "-(1)/2.3",
]  # fmt: skip
ALPHABET = " ,;\t\r\n=+-@'0123456789()./aZ\f\v٥\xa0\"é"


def random_values(count: int) -> list[str]:
    chance = random.Random(11)
    return ["".join(chance.choices(ALPHABET, k=chance.randint(0, 8))) for _ in range(count)]


async def test_the_sql_rule_gives_the_same_text_as_neutralise(session: AsyncSession) -> None:
    values = CORNERS + random_values(3000)
    value = func.unnest(cast(values, ARRAY(Text))).table_valued("value").render_derived().c.value
    rows = (await session.execute(select(value, neutralised(value)))).all()
    assert [(given, safe) for given, safe in rows if safe != neutralise(given)] == []
    assert len(rows) == len(values)


async def test_the_flag_kept_on_write_covers_every_value_the_rule_changes(
    session: AsyncSession,
) -> None:
    values = CORNERS + random_values(3000)
    value = func.unnest(cast(values, ARRAY(Text))).table_valued("value").render_derived().c.value
    rows = (await session.execute(select(value, value.regexp_match(FORMULA_AT_RISK)))).all()
    assert [given for given, flagged in rows if not flagged and neutralise(given) != given] == []


# (The e-mail address tells the rows apart here; the flag covers it by the same test.)
FREE_TEXT = ("given_name", "family_name", "organisation", "job_title")


async def test_a_formula_in_any_one_free_text_column_is_made_inert(
    event: object, signup: Signup, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    for n, column in enumerate(FREE_TEXT):
        response = await signup(**{"email": f"person-{n}@example.org", column: "Mairie,=1+1"})
        assert response.status_code == 201
    response = await signup(email="needs@example.org", accessibility_needs="Ramp\n@ the door")
    assert response.status_code == 201
    response = await client.get(CSV_PATH, headers=await auth_headers("viewer"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(FREE_TEXT) + 1
    assert [row[column] for row, column in zip(rows, FREE_TEXT, strict=False)] == [
        "Mairie,'=1+1"
    ] * len(FREE_TEXT)
    assert rows[-1]["accessibility_needs"] == "Ramp\n'@ the door"


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


# As COPY writes them, each row ending with ROW_END: a line break inside a value, a
# quoted quote, a value that is a carriage return, one that is `,"<CR>"`.
COPIED = b'a,"x\ny",b,"\r"\n"say ""hi""\n",c,"\r"\n"\r",",""\r""",d,"\r"\n'
AS_CRLF = b'a,"x\ny",b\r\n"say ""hi""\n",c\r\n"\r",",""\r""",d\r\n'


@pytest.mark.parametrize("cut", range(1, len(COPIED)))
async def test_rows_end_in_crlf_and_line_breaks_in_values_stay_wherever_chunks_split(
    cut: int,
) -> None:
    out = b"".join([chunk async for chunk in crlf_rows(_chunks(COPIED[:cut], COPIED[cut:]))])
    assert out == AS_CRLF


async def test_rows_end_in_crlf_however_small_the_chunks() -> None:
    singles = [COPIED[n : n + 1] for n in range(len(COPIED))]
    assert b"".join([chunk async for chunk in crlf_rows(_chunks(*singles))]) == AS_CRLF


async def test_formula_payloads_come_out_inert_through_the_endpoint(
    event: object, signup: Signup, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    payload = 'Mairie;=HYPERLINK("http://example.invalid","x")'
    await signup(
        given_name="=1+1",
        family_name="@SUM(1+1)",
        organisation=payload,
        job_title="-2+3",
        accessibility_needs=f"{payload}\n+cmd|' /C calc'!A0",
        email="delegate@example.org",
    )
    await signup(family_name="Plain", job_title=None)
    response = await client.get(CSV_PATH, headers=await auth_headers("viewer"))
    assert response.status_code == 200
    for delimiter in (",", ";", "\t"):
        assert _formula_cells(response.content, delimiter) == [], delimiter
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [row["family_name"] for row in rows] == ["'@SUM(1+1)", "Plain"]
    assert rows[0]["given_name"] == "'=1+1"
    assert rows[0]["organisation"] == neutralise(payload)
    assert rows[0]["accessibility_needs"] == f"{neutralise(payload)}\n'+cmd|' /C calc'!A0"
    assert rows[1]["job_title"] == ""
    # Every row ends in CRLF; the line break inside the value is still a bare LF.
    assert response.content.count(b"\r\n") == 3
    assert response.content.count(b"\n") == 4


async def test_empty_cells_are_written_as_the_csv_writer_wrote_them(
    event: object, signup: Signup, client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    """Bare in a row of several cells; quoted when a row's only cell (not a blank line)."""
    await signup(email="one@example.org", job_title=None)
    headers = await auth_headers("viewer")
    params = {"dialect": "rfc4180"}
    several = await client.get(
        CSV_PATH, params=params | {"columns": "email,job_title,checked_in_at"}, headers=headers
    )
    assert several.content == b"email,job_title,checked_in_at\r\none@example.org,,\r\n"
    alone = await client.get(CSV_PATH, params=params | {"columns": "job_title"}, headers=headers)
    assert alone.content == b'job_title\r\n""\r\n'
