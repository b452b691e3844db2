"""Registrations get a sign-up sequence number, the order organisers page by.

Drawn at INSERT under the event's row lock, it grows in commit order, unlike
created_at (read from the clock before the lock). Existing rows are numbered in
their (created_at, id) order.

Revision ID: 0005_signup_seq
Revises: 0004_manage_tokens
Create Date: 2026-11-28 21:49:43.710226+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_signup_seq"
down_revision: str | None = "0004_manage_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "registrations",
        sa.Column("signup_seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
    )
    op.execute(
        """
        UPDATE registrations AS r SET signup_seq = ordered.n
        FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n
              FROM registrations) AS ordered
        WHERE r.id = ordered.id
        """
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('registrations', 'signup_seq'), "
        "coalesce(max(signup_seq), 0) + 1, false) FROM registrations"
    )
    op.drop_index(op.f("ix_registrations_event_created"), table_name="registrations")
    op.create_index(
        "ix_registrations_event_signup_seq",
        "registrations",
        ["event_id", "signup_seq"],
        unique=False,
    )
    op.create_unique_constraint(
        op.f("uq_registrations_signup_seq"), "registrations", ["signup_seq"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_registrations_signup_seq"), "registrations", type_="unique")
    op.drop_index("ix_registrations_event_signup_seq", table_name="registrations")
    op.create_index(
        op.f("ix_registrations_event_created"),
        "registrations",
        ["event_id", "created_at", "id"],
        unique=False,
    )
    op.drop_column("registrations", "signup_seq")
