"""Check-ins tallied like sign-ups: per event, the confirmed registrations that have
arrived, by the UTC quarter hour of their check-in (dimension 'checkin_quarter').

The tallies' triggers (0009) get one more contribution; every other part of them
is as 0009 wrote it, read from that migration so the two cannot drift apart. The
overview's check-ins per hour then read a few dozen tally rows instead of every
arrival, and the partial index of check-in times (0010) that they grouped goes.
A check-in already takes the event's lock, so the one tally row it moves costs
the same however large the event is.

Revision ID: 0014_checkin_tallies
Revises: 0013_outbox_tallies
Create Date: 2026-11-30 23:40:00+00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0014_checkin_tallies"
down_revision: str | None = "0013_outbox_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tallies_migration() -> ModuleType:
    path = Path(__file__).with_name("2026-11-30_event_tallies.py")
    spec = importlib.util.spec_from_file_location("event_tallies_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_before = _tallies_migration()
_CHECKIN_QUARTER = _before._QUARTER.replace("created_at", "checked_in_at")
_ARRIVED = "status = 'confirmed' AND checked_in_at IS NOT NULL"
_CONTRIBUTION = (
    _before._CONTRIBUTION
    + f"""    UNION ALL
    SELECT event_id, 'checkin_quarter', {_CHECKIN_QUARTER}, {{sign}} FROM {{rows}}
    WHERE {_ARRIVED}
"""
)


def _side(rows: str, sign: int) -> str:
    return _CONTRIBUTION.format(rows=rows, sign=sign)


TRIGGER_FUNCTIONS = {
    "registrations_tallied_insert": _before._APPLY.format(changes=_side("new_rows", 1)),
    "registrations_tallied_delete": _before._APPLY.format(changes=_side("old_rows", -1)),
    "registrations_tallied_update": _before._APPLY.format(
        changes=f"{_side('new_rows', 1)} UNION ALL {_side('old_rows', -1)}"
    ),
}


def _replace_functions(bodies: dict[str, str]) -> None:
    for name, body in bodies.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN {body} RETURN NULL; END $$;"
        )


def upgrade() -> None:
    op.execute(
        "INSERT INTO event_tallies (event_id, dimension, key, count) "
        f"SELECT event_id, 'checkin_quarter', {_CHECKIN_QUARTER}, count(*) "
        f"FROM registrations WHERE {_ARRIVED} GROUP BY 1, 2, 3"
    )
    _replace_functions(TRIGGER_FUNCTIONS)
    op.drop_index("ix_registrations_event_checked_in", table_name="registrations")


def downgrade() -> None:
    op.create_index(
        "ix_registrations_event_checked_in",
        "registrations",
        ["event_id", "checked_in_at"],
        postgresql_where=sa.text("checked_in_at IS NOT NULL"),
    )
    _replace_functions(_before.TRIGGER_FUNCTIONS)
    op.execute("DELETE FROM event_tallies WHERE dimension = 'checkin_quarter'")
