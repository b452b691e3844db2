"""Invitation reminders: what each pending invitation has been reminded of, the link
of its latest reminder, and the new message kind.

`invitations.reminders_after` is when it was made, extended or last reminded
(reminders due before it are not sent); `reminder_token_hash` is the digest of
the RSVP link its latest reminder carried. The outbox check lists every kind.

Revision ID: 0019_invitation_reminders
Revises: 0018_audit_target
Create Date: 2026-12-01 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_invitation_reminders"
down_revision: str | None = "0018_audit_target"
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
    "broadcast",
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
    op.add_column(
        "invitations",
        sa.Column(
            "reminders_after",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column(
        "invitations", sa.Column("reminder_token_hash", sa.LargeBinary(length=32), nullable=True)
    )
    op.create_unique_constraint(
        op.f("uq_invitations_reminder_token_hash"), "invitations", ["reminder_token_hash"]
    )
    _kinds((*KINDS, "invitation_reminder"))


def downgrade() -> None:
    op.execute("DELETE FROM email_outbox WHERE kind = 'invitation_reminder'")
    _kinds(KINDS)
    op.drop_constraint(op.f("uq_invitations_reminder_token_hash"), "invitations", type_="unique")
    op.drop_column("invitations", "reminder_token_hash")
    op.drop_column("invitations", "reminders_after")
