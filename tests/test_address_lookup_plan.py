"""The sign-up's look-up of an address goes through the unique index of active
addresses, even in the plan a prepared statement keeps from an empty table.

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
from app.registrations.sign_up.statements import event_row_with_counters, event_with_counters

UNIQUE_INDEX = "uq_registrations_event_email_active"
# PostgreSQL plans a prepared statement for its values five times, then weighs a
# generic plan; a sixth run is past that.
RUNS_BEFORE_GENERIC = 6


async def _sql(url: str, statement: Select[Any]) -> str:
    """The statement as the app sends it to asyncpg."""
    engine = create_engine(url)
    try:
        return str(statement.compile(dialect=engine.dialect))
    finally:
        await engine.dispose()


async def _kept_plan(url: str, sql: str, arguments: list[str]) -> str:
    parts = make_url(url)
    connection = await asyncpg.connect(
        user=parts.username,
        password=parts.password,
        database=parts.database,
        host=parts.query.get("host") or parts.host,
        port=parts.port,
    )
    try:
        await connection.execute(f"PREPARE lookup AS {sql}")
        # EXECUTE takes no bound parameters: the values are written in.
        values = ", ".join("'" + value.replace("'", "''") + "'" for value in arguments)
        for _ in range(RUNS_BEFORE_GENERIC):
            await connection.fetch(f"EXECUTE lookup({values})")
        rows = await connection.fetch(f"EXPLAIN EXECUTE lookup({values})")
        return "\n".join(row[0] for row in rows)
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(event_row_with_counters(capped=False), id="unlocked read"),
        pytest.param(event_with_counters(capped=False, lock=True), id="locked read"),
    ],
)
async def test_the_address_is_looked_up_by_the_unique_index_from_an_empty_table(
    make_database: Callable[[], Awaitable[str]], statement: Select[Any]
) -> None:
    url = await make_database()
    sql = await _sql(url, statement)
    plan = await _kept_plan(url, sql, ["someone@example.org", "side-event"])
    lookup = [line for line in plan.splitlines() if "on registrations" in line]
    assert lookup, plan
    assert all(UNIQUE_INDEX in line for line in lookup), plan
