"""The sign-up's look-up of an address under the event's lock goes through the
unique index of active addresses, even in the plan a prepared statement keeps
from an empty table; the unlocked read does not look the address up at all.

Every index of `registrations` that starts with `event_id` can answer the
look-up, and with no statistics yet the planner costs them alike. A plan made
then is kept as the table grows, so the wrong choice reads every registration
of the event on each sign-up (migration 0022 has the story). Here the statement
is prepared on a new, empty database, run until PostgreSQL keeps a generic plan,
and that plan is read."""

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Select
from sqlalchemy.engine import make_url

from app.kit.db import create_engine
from app.kit.db.driver import DriverStatement
from app.registrations.sign_up.statements import event_row_with_counters, event_with_counters

UNIQUE_INDEX = "uq_registrations_event_email_active"
# PostgreSQL plans a prepared statement for its values five times, then weighs a
# generic plan; a sixth run is past that.
RUNS_BEFORE_GENERIC = 6


# The values each parameter gets, as SQL literals (EXECUTE takes no bound ones).
VALUES = {
    "email": "someone@example.org",
    "slug": "side-event",
    "cap_key": "\\x00",
    "cap": "10",
    "cap_since": "2026-01-01 00:00+00",
}


async def _compiled(url: str, statement: Select[Any]) -> DriverStatement:
    """The statement as the app sends it to asyncpg."""
    engine = create_engine(url)
    try:
        return DriverStatement.compile(statement, engine.dialect)
    finally:
        await engine.dispose()


async def _kept_plan(url: str, statement: DriverStatement) -> str:
    parts = make_url(url)
    connection = await asyncpg.connect(
        user=parts.username,
        password=parts.password,
        database=parts.database,
        host=parts.query.get("host") or parts.host,
        port=parts.port,
    )
    try:
        await connection.execute(f"PREPARE lookup AS {statement.sql}")
        values = ", ".join("'" + VALUES[name] + "'" for name in statement.names)
        for _ in range(RUNS_BEFORE_GENERIC):
            await connection.fetch(f"EXECUTE lookup({values})")
        rows = await connection.fetch(f"EXPLAIN EXECUTE lookup({values})")
        return "\n".join(row[0] for row in rows)
    finally:
        await connection.close()


@pytest.mark.parametrize("capped", [True, False], ids=["public", "organiser"])
async def test_the_address_is_looked_up_by_the_unique_index_from_an_empty_table(
    make_database: Callable[[], Awaitable[str]], capped: bool
) -> None:
    url = await make_database()
    statement = await _compiled(url, event_with_counters(capped=capped, lock=True))
    plan = await _kept_plan(url, statement)
    lookup = [line for line in plan.splitlines() if "on registrations" in line]
    assert lookup, plan
    assert all(UNIQUE_INDEX in line for line in lookup), plan


@pytest.mark.parametrize("capped", [True, False], ids=["public", "organiser"])
async def test_the_unlocked_read_reads_no_registration(
    make_database: Callable[[], Awaitable[str]], capped: bool
) -> None:
    """The sign-up's first statement leaves the address to the INSERT's unique index,
    whose check needs no plan: so no plan of it can read the event's rows."""
    url = await make_database()
    plan = await _kept_plan(url, await _compiled(url, event_row_with_counters(capped=capped)))
    assert "registrations" not in plan, plan
