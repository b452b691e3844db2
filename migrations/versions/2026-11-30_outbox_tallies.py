"""E-mail delivery states tallied per event by triggers, so stats count no messages.

Stats show how many of an event's e-mails are pending, sent, failed or
suppressed; counting them grouped every message of the event (some 20-40 ms at
100,000). `outbox_tallies` keeps, per event and state, how many messages ever
entered it and how many left it (the count in the state is the difference).
Statement-level triggers on `email_outbox` add each statement's changes: a new
message enters its state, a change of state leaves one and enters another, a
deleted message leaves its state. Entering and leaving are separate rows so that
a sign-up (which only enters `pending`, under the event's lock) and the sender
(which leaves `pending` for `sent`) never wait on the same row. Rows of an
event being deleted are left to its cascade.

Revision ID: 0013_outbox_tallies
Revises: 0012_search_trigrams
Create Date: 2026-11-30 23:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.migrations import create_statement_triggers, drop_statement_triggers

revision: str = "0013_outbox_tallies"
down_revision: str | None = "0012_search_trigrams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPLY = """
    INSERT INTO outbox_tallies AS t (event_id, state, way, count)
    SELECT c.event_id, c.state, c.way, count(*) FROM ({changes}) AS c
    WHERE EXISTS (SELECT FROM events AS e WHERE e.id = c.event_id)
    GROUP BY c.event_id, c.state, c.way
    ORDER BY c.event_id, c.state, c.way
    ON CONFLICT (event_id, state, way) DO UPDATE SET count = t.count + excluded.count;
"""
_CHANGED = "new_rows AS n JOIN old_rows AS o ON o.id = n.id WHERE n.state <> o.state"

TRIGGER_FUNCTIONS = {
    "outbox_tallied_insert": _APPLY.format(
        changes="SELECT event_id, state, 'entered' AS way FROM new_rows"
    ),
    "outbox_tallied_delete": _APPLY.format(
        changes="SELECT event_id, state, 'left' AS way FROM old_rows"
    ),
    "outbox_tallied_update": _APPLY.format(
        changes=f"SELECT n.event_id, n.state, 'entered' AS way FROM {_CHANGED} "
        f"UNION ALL SELECT o.event_id, o.state, 'left' FROM {_CHANGED}"
    ),
}
TRIGGERS = {
    "outbox_tallied_insert": "INSERT",
    "outbox_tallied_delete": "DELETE",
    "outbox_tallied_update": "UPDATE",
}


def upgrade() -> None:
    op.create_table(
        "outbox_tallies",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("way", sa.String(length=8), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("way IN ('entered', 'left')", name=op.f("ck_outbox_tallies_way")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_outbox_tallies_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "state", "way", name=op.f("pk_outbox_tallies")),
    )
    # No message may change meanwhile: the tallies start from a count of them all.
    op.execute("LOCK TABLE email_outbox IN SHARE MODE")
    op.execute(
        "INSERT INTO outbox_tallies (event_id, state, way, count) "
        "SELECT event_id, state, 'entered', count(*) FROM email_outbox GROUP BY event_id, state"
    )
    create_statement_triggers(
        "email_outbox", {name: (TRIGGERS[name], body) for name, body in TRIGGER_FUNCTIONS.items()}
    )


def downgrade() -> None:
    drop_statement_triggers("email_outbox", TRIGGER_FUNCTIONS)
    op.drop_table("outbox_tallies")
