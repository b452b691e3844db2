"""Events get what an attendee needs at the door: a contact, the entrance, arrival notes.

All three are optional, so existing events stay valid without them.

Revision ID: 0007_event_arrival
Revises: 0006_seat_counters
Create Date: 2026-11-30 20:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_event_arrival"
down_revision: str | None = "0006_seat_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.add_column("events", sa.Column("entrance", sa.String(length=300), nullable=True))
    op.add_column("events", sa.Column("arrival_instructions", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "arrival_instructions")
    op.drop_column("events", "entrance")
    op.drop_column("events", "contact_email")
