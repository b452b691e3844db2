"""Organisers' broadcasts: their text and filters, and the outbox rows that carry them.

Revision ID: 0017_broadcasts
Revises: 0016_schedule_and_offers
Create Date: 2026-11-30 23:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_broadcasts"
down_revision: str | None = "0016_schedule_and_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "confirmed",
    "waitlisted",
    "pending_approval",
    "promoted",
    "cancelled",
    "declined",
    "manage_link",
    "event_changed",
    "event_cancelled",
    "verify_email",
    "invitation",
    "delegate_invitation",
    "invitation_declined",
    "invitation_delegated",
    "substitute_confirmed",
    "substitute_waitlisted",
    "substitute_pending_approval",
    "seat_passed_on",
    "reminder",
    "offer",
    "offer_lapsed",
)


def _kinds(values: Sequence[str]) -> None:
    final = op.f("ck_email_outbox_mail_kind")
    op.drop_constraint(final, "email_outbox", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(final, "email_outbox", f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("sent_by", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_broadcasts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organisers.id"],
            name=op.f("fk_broadcasts_organiser_id_organisers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(
        "ix_broadcasts_event_created", "broadcasts", ["event_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_broadcasts_event_fingerprint",
        "broadcasts",
        ["event_id", "fingerprint", "created_at"],
        unique=False,
    )
    op.add_column("email_outbox", sa.Column("broadcast_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_email_outbox_broadcast_id_broadcasts"),
        "email_outbox",
        "broadcasts",
        ["broadcast_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_email_outbox_broadcast",
        "email_outbox",
        ["broadcast_id", "state"],
        unique=False,
        postgresql_where=sa.text("broadcast_id IS NOT NULL"),
    )
    _kinds((*KINDS, "broadcast"))


def downgrade() -> None:
    op.execute("DELETE FROM email_outbox WHERE kind = 'broadcast'")
    _kinds(KINDS)
    op.drop_index("ix_email_outbox_broadcast", table_name="email_outbox")
    op.drop_constraint(
        op.f("fk_email_outbox_broadcast_id_broadcasts"), "email_outbox", type_="foreignkey"
    )
    op.drop_column("email_outbox", "broadcast_id")
    op.drop_index("ix_broadcasts_event_fingerprint", table_name="broadcasts")
    op.drop_index("ix_broadcasts_event_created", table_name="broadcasts")
    op.drop_table("broadcasts")
