"""Substitutes: a registration may replace another (its registrant passed the place on).

`registrations.substitute_for` names the replaced registration; the outbox gains
the substitution's messages (the substitute's, by the status taken over, and the
notice to the registrant replaced).

Revision ID: 0015_substitutes
Revises: 0014_checkin_tallies
Create Date: 2026-11-30 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_substitutes"
down_revision: str | None = "0014_checkin_tallies"
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
)
SUBSTITUTION_KINDS = (
    "substitute_confirmed",
    "substitute_waitlisted",
    "substitute_pending_approval",
    "seat_passed_on",
)


def _kinds(values: Sequence[str]) -> None:
    final = op.f("ck_email_outbox_mail_kind")
    op.drop_constraint(final, "email_outbox", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(final, "email_outbox", f"kind IN ({listed})")


def upgrade() -> None:
    op.add_column("registrations", sa.Column("substitute_for", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_registrations_substitute_for_registrations"),
        "registrations",
        "registrations",
        ["substitute_for"],
        ["id"],
        ondelete="SET NULL",
    )
    _kinds((*KINDS, *SUBSTITUTION_KINDS))


def downgrade() -> None:
    op.execute(
        "DELETE FROM email_outbox WHERE kind IN ("
        + ", ".join(f"'{kind}'" for kind in SUBSTITUTION_KINDS)
        + ")"
    )
    _kinds(KINDS)
    op.drop_constraint(
        op.f("fk_registrations_substitute_for_registrations"), "registrations", type_="foreignkey"
    )
    op.drop_column("registrations", "substitute_for")
