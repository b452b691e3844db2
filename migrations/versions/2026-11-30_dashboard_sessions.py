"""The dashboard's browser sessions, and its check-ins chart.

Sessions are rows of `access_tokens` with `kind` 'session' (the bearer tokens the
API takes are 'bearer', which every existing row is): one table, so both are
stored as digests, expire and are revoked alike. The partial index on check-in
times lets the overview group an event's arrivals by hour reading only the rows
that have arrived.

Revision ID: 0010_dashboard_sessions
Revises: 0009_event_tallies
Create Date: 2026-11-30 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_dashboard_sessions"
down_revision: str | None = "0009_event_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "access_tokens",
        sa.Column(
            "kind",
            sa.Enum(
                "bearer",
                "session",
                name="token_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="bearer",
            nullable=False,
        ),
    )
    op.create_index(
        "ix_registrations_event_checked_in",
        "registrations",
        ["event_id", "checked_in_at"],
        postgresql_where=sa.text("checked_in_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_registrations_event_checked_in", table_name="registrations")
    # Its CHECK constraint goes with the column.
    op.drop_column("access_tokens", "kind")
