"""Per-event tallies for the dashboard's breakdowns, kept by triggers like the counters.

`event_tallies` holds, per event, the active registrations by affiliation type
and by country ('' for none), and every registration by the quarter hour of its
sign-up (UTC; every time zone's offset is whole quarter hours, so the venue's
days are sums of quarters whatever the event's time zone is or becomes).
Statement-level triggers on `registrations` add each statement's net changes:
rises by an upsert in key order, falls by an UPDATE only (a row that falls
exists already, and an event's deletion, which cascades to its rows, then
writes nothing). Stats read a few hundred rows instead of every registration.

Revision ID: 0009_event_tallies
Revises: 0008_abuse_limits
Create Date: 2026-11-30 21:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.migrations import create_statement_triggers, drop_statement_triggers

revision: str = "0009_event_tallies"
down_revision: str | None = "0008_abuse_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('confirmed', 'waitlisted', 'pending_approval')"
_QUARTER = (
    "to_char(date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00+00') "
    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"')"
)

# What one set of rows contributes, with `sign` 1 (added) or -1 (taken away).
_CONTRIBUTION = f"""
    SELECT event_id, 'affiliation_type' AS dimension, affiliation_type::text AS key,
           {{sign}} AS n FROM {{rows}} WHERE {_ACTIVE}
    UNION ALL
    SELECT event_id, 'country', coalesce(country, ''), {{sign}} FROM {{rows}} WHERE {_ACTIVE}
    UNION ALL
    SELECT event_id, 'signup_quarter', {_QUARTER}, {{sign}} FROM {{rows}}
"""

_APPLY = """
    WITH d AS (
        SELECT event_id, dimension, key, sum(n) AS n FROM ({changes}) AS each_side
        GROUP BY event_id, dimension, key HAVING sum(n) <> 0
    ), fallen AS (
        UPDATE event_tallies AS t SET count = t.count + d.n FROM d
        WHERE d.n < 0 AND t.event_id = d.event_id AND t.dimension = d.dimension
          AND t.key = d.key
    )
    INSERT INTO event_tallies (event_id, dimension, key, count)
    SELECT event_id, dimension, key, n FROM d WHERE n > 0
    ORDER BY event_id, dimension, key
    ON CONFLICT (event_id, dimension, key)
    DO UPDATE SET count = event_tallies.count + excluded.count;
"""


def _side(rows: str, sign: int) -> str:
    return _CONTRIBUTION.format(rows=rows, sign=sign)


TRIGGER_FUNCTIONS = {
    "registrations_tallied_insert": _APPLY.format(changes=_side("new_rows", 1)),
    "registrations_tallied_delete": _APPLY.format(changes=_side("old_rows", -1)),
    "registrations_tallied_update": _APPLY.format(
        changes=f"{_side('new_rows', 1)} UNION ALL {_side('old_rows', -1)}"
    ),
}
TRIGGERS = {
    "registrations_tallied_insert": "INSERT",
    "registrations_tallied_delete": "DELETE",
    "registrations_tallied_update": "UPDATE",
}


def upgrade() -> None:
    op.create_table(
        "event_tallies",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_event_tallies_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_tallies_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "dimension", "key", name=op.f("pk_event_tallies")),
    )
    op.execute(
        "INSERT INTO event_tallies (event_id, dimension, key, count) "
        "SELECT event_id, dimension, key, sum(n) "
        f"FROM ({_side('registrations', 1)}) AS rows GROUP BY event_id, dimension, key"
    )
    create_statement_triggers(
        "registrations", {name: (TRIGGERS[name], body) for name, body in TRIGGER_FUNCTIONS.items()}
    )


def downgrade() -> None:
    drop_statement_triggers("registrations", TRIGGER_FUNCTIONS)
    op.drop_table("event_tallies")
