"""Abuse limits, e-mail verification and the registrant's data.

Rate-limit counters shared by every process; the outbox's recipient digest and
public cause (the per-recipient cap) and the `suppressed` state; the event's
`email_verification`, the `pending_verification` status and the `verify_email`
message; the registration's consent version and time, and its erasure time.

Revision ID: 0008_abuse_limits
Revises: 0007_event_arrival
Create Date: 2026-11-30 20:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_abuse_limits"
down_revision: str | None = "0007_event_arrival"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("confirmed", "waitlisted", "pending_approval", "declined", "cancelled")
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
)
STATES = ("pending", "sent", "failed")


def _check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    final = op.f(f"ck_{table}_{name}")
    op.drop_constraint(final, table, type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(final, table, f"{column} IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index(
        "ix_rate_limit_hits_window_ends_at", "rate_limit_hits", ["window_ends_at"], unique=False
    )

    op.add_column("email_outbox", sa.Column("recipient_key", sa.LargeBinary(length=32)))
    op.add_column(
        "email_outbox",
        sa.Column("public_cause", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        "UPDATE email_outbox SET recipient_key = sha256(convert_to(lower(recipient), 'UTF8'))"
    )
    op.create_index(
        "ix_email_outbox_recipient_public",
        "email_outbox",
        ["recipient_key", "created_at"],
        unique=False,
        postgresql_where=sa.text("public_cause AND state <> 'suppressed'"),
    )
    _check("email_outbox", "mail_kind", "kind", (*KINDS, "verify_email"))
    _check("email_outbox", "delivery_state", "state", (*STATES, "suppressed"))

    op.add_column(
        "events",
        sa.Column("email_verification", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    _check("registrations", "registration_status", "status", (*STATUSES, "pending_verification"))
    op.add_column("registrations", sa.Column("consent_version", sa.String(length=32)))
    op.add_column("registrations", sa.Column("consented_at", sa.DateTime(timezone=True)))
    op.add_column("registrations", sa.Column("erased_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.execute("DELETE FROM registrations WHERE status = 'pending_verification'")
    op.drop_column("registrations", "erased_at")
    op.drop_column("registrations", "consented_at")
    op.drop_column("registrations", "consent_version")
    _check("registrations", "registration_status", "status", STATUSES)
    op.drop_column("events", "email_verification")

    op.execute("DELETE FROM email_outbox WHERE kind = 'verify_email'")
    op.execute("UPDATE email_outbox SET state = 'failed' WHERE state = 'suppressed'")
    _check("email_outbox", "delivery_state", "state", STATES)
    _check("email_outbox", "mail_kind", "kind", KINDS)
    op.drop_index("ix_email_outbox_recipient_public", table_name="email_outbox")
    op.drop_column("email_outbox", "public_cause")
    op.drop_column("email_outbox", "recipient_key")

    op.drop_index("ix_rate_limit_hits_window_ends_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
