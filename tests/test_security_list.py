"""The UN Special Event Ticket request sheet."""

from datetime import timedelta
from io import BytesIO
from typing import Any

import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.service import get_event
from app.exports.security_list import build_security_list
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent, event_fields


async def build(session: AsyncSession) -> Any:
    event = await get_event(session, "side-event")
    result = await build_security_list(session, event=event)
    return openpyxl.load_workbook(BytesIO(result.content))


def names(sheet: Any) -> list[tuple[str, str]]:
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "No.") + 1
    return [(r[1], r[2]) for r in rows[start:]]


async def test_lists_exactly_the_confirmed_guests_without_a_grounds_pass(
    make_event: MakeEvent, signup: Signup, session: AsyncSession
) -> None:
    await make_event(capacity=3)
    await signup(family_name="Zeta", given_name="Guest")
    await signup(family_name="Alpha", given_name="Guest")
    await signup(family_name="Delegate", has_un_grounds_pass=True)
    await signup(family_name="Waiting")
    workbook = await build(session)
    assert names(workbook["Requests"]) == [("Alpha", "Guest"), ("Zeta", "Guest")]
    assert names(workbook["Late requests"]) == []


async def test_header_rows_name_the_event(event: object, session: AsyncSession) -> None:
    sheet = (await build(session))["Requests"]
    header = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=7, values_only=True)}
    assert header["Event"].startswith("Local Government")
    assert header["Date"] == "Friday 4 October 2013"
    assert header["Time"] == "13:15–14:45 (America/New_York)"
    assert header["Venue"].startswith("Conference Room 6")
    assert header["Sponsoring office"] == "JMDI, UNITAR, KNOMAD"


async def test_registrations_after_the_48_hour_deadline_are_on_the_late_sheet(
    event: object, signup: Signup, session: AsyncSession, clock: FakeClock
) -> None:
    await signup(family_name="Early")
    clock.current = event_fields().starts_at - timedelta(hours=47)
    await signup(family_name="Late")
    workbook = await build(session)
    assert [n[0] for n in names(workbook["Requests"])] == ["Early"]
    assert [n[0] for n in names(workbook["Late requests"])] == ["Late"]


async def test_no_cell_is_a_formula(event: object, signup: Signup, session: AsyncSession) -> None:
    await signup(organisation='=HYPERLINK("http://example.invalid","x")', family_name="=1+1")
    workbook = await build(session)
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert '=HYPERLINK("http://example.invalid","x")' in [c.value for c in cells]
