"""The unique index of active addresses is built again, last, so that the planner
chooses it for the address's look-up on a new database.

The sign-up under the event's lock asks whether the address has an active
registration for the event (`event_id = ... AND lower(email) = ...`). Every
index on `registrations` that starts with `event_id` can answer that, and on a
table with no statistics yet (a new database, before autovacuum's first
ANALYZE) the planner costs them alike and keeps the first it meets, newest
first: the organisation index or the list filters' one, which read every
registration of the event. A prepared statement keeps the plan it made then as
the table grows. Rebuilt as the newest, the unique index is the one met first
(`tests/test_address_lookup_plan.py` checks the plan made on an empty table, so
an index added later that would win the tie fails there). Plans made on a few
hundred rows may still prefer another index until the first ANALYZE replans
them, so the sign-up's hot path does not look the address up at all: its
INSERT's `ON CONFLICT` finds a registered address through this index, with no
plan to choose.

Revision ID: 0022_address_lookup_index
Revises: 0021_registration_filters
Create Date: 2026-12-01 05:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_address_lookup_index"
down_revision: str | None = "0021_registration_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_registrations_event_email_active"
# As migration 0011 (invitations) left it; frozen here.
PREDICATE = "status IN ('confirmed', 'waitlisted', 'pending_approval') AND companion_of IS NULL"


def _rebuild() -> None:
    op.create_index(
        f"{NAME}_new",
        "registrations",
        ["event_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text(PREDICATE),
    )
    op.drop_index(NAME, table_name="registrations")
    op.execute(f"ALTER INDEX {NAME}_new RENAME TO {NAME}")


def upgrade() -> None:
    _rebuild()


def downgrade() -> None:
    # The same index; its place among the others is all that changed.
    _rebuild()
