"""Registrations get `needs_formula_check`, kept by PostgreSQL: whether a free-text
column may hold a spreadsheet formula.

The CSV export applies the formula rule (`app.exports.cells`) only to the rows
flagged, so an export of 100,000 rows no longer tests every cell of every row;
each write tests its own six values once (a few microseconds). Adding the
column computes it for the rows already there.

Revision ID: 0020_formula_check
Revises: 0019_invitation_reminders
Create Date: 2026-12-01 02:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_formula_check"
down_revision: str | None = "0019_invitation_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.models.registration.NEEDS_FORMULA_CHECK_SQL was when this was written: the
# rule's first test on each of the six free-text columns.
_R = r"(^|[,;\t\r\n]) *[-=+@]|^[\t\r]"
_NEEDS_FORMULA_CHECK = (
    f"COALESCE(email ~ '{_R}' OR given_name ~ '{_R}' OR family_name ~ '{_R}'"
    f" OR organisation ~ '{_R}' OR job_title ~ '{_R}' OR accessibility_needs ~ '{_R}', false)"
)


def upgrade() -> None:
    op.add_column(
        "registrations",
        sa.Column(
            "needs_formula_check",
            sa.Boolean(),
            sa.Computed(_NEEDS_FORMULA_CHECK, persisted=True),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("registrations", "needs_formula_check")
