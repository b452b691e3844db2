"""Audit entries get an index on their target, for a registration's trail.

The dashboard's registration page lists the entries about one registration; without
the index that read scans the whole log, which grows with every check-in.

Revision ID: 0018_audit_target
Revises: 0017_broadcasts
Create Date: 2026-11-30 23:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_audit_target"
down_revision: str | None = "0017_broadcasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_entries_target", "audit_entries", ["target_type", "target_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_target", table_name="audit_entries")
