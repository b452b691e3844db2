"""Seat counters kept by triggers, a stored waitlist order, and outbox rows rendered at send.

- `event_counters`: one row per event (an AFTER INSERT trigger on `events` adds
  it), filled from the current rows; statement-level triggers on
  `registrations` add each statement's changes, so the counts stay exact
  whichever code writes the rows.
- `registrations.waitlist_order` replaces `waitlist_position`: existing
  positions become the order (1, 2, ... per event), and the sequence starts
  above them. A downgrade numbers the waitlists again from the order.
- `email_outbox` rows say what to send (language, the manage token until sent,
  the calendar METHOD, a waitlist position known when queued) and the sender
  renders them; rows queued before keep their rendered `body` and are sent as
  they are.
- Indexes: the waitlist by order, active registrations by organisation.

Revision ID: 0006_seat_counters
Revises: 0005_signup_seq
Create Date: 2026-11-30 20:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.migrations import create_statement_triggers, drop_statement_triggers

revision: str = "0006_seat_counters"
down_revision: str | None = "0005_signup_seq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The counts one set of rows contributes, per event: what the triggers add
# (NEW TABLE) and take away (OLD TABLE).
_CONTRIBUTION = """
    SELECT event_id,
           count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
           count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted,
           count(*) FILTER (WHERE status = 'pending_approval') AS pending_approval,
           count(*) FILTER (WHERE status = 'declined') AS declined,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE status = 'confirmed' AND checked_in_at IS NOT NULL)
               AS checked_in
    FROM {rows} GROUP BY event_id
"""

_APPLY = """
    UPDATE event_counters AS c SET
        confirmed = c.confirmed + d.confirmed,
        waitlisted = c.waitlisted + d.waitlisted,
        pending_approval = c.pending_approval + d.pending_approval,
        declined = c.declined + d.declined,
        cancelled = c.cancelled + d.cancelled,
        checked_in = c.checked_in + d.checked_in
    FROM (
        SELECT event_id, sum(confirmed) AS confirmed, sum(waitlisted) AS waitlisted,
               sum(pending_approval) AS pending_approval, sum(declined) AS declined,
               sum(cancelled) AS cancelled, sum(checked_in) AS checked_in
        FROM ({changes}) AS each_side
        GROUP BY event_id
        -- An edit that moves no count (a name, a time stamp) writes nothing, and so
        -- takes no lock on the counters.
        HAVING sum(confirmed) <> 0 OR sum(waitlisted) <> 0 OR sum(pending_approval) <> 0
            OR sum(declined) <> 0 OR sum(cancelled) <> 0 OR sum(checked_in) <> 0
    ) AS d
    WHERE c.event_id = d.event_id;
"""


def _added(rows: str) -> str:
    return _CONTRIBUTION.format(rows=rows)


def _removed(rows: str) -> str:
    return (
        "SELECT event_id, -confirmed AS confirmed, -waitlisted AS waitlisted, "
        "-pending_approval AS pending_approval, -declined AS declined, "
        "-cancelled AS cancelled, -checked_in AS checked_in "
        f"FROM ({_added(rows)}) AS gone"
    )


TRIGGER_FUNCTIONS = {
    "registrations_counted_insert": _APPLY.format(changes=_added("new_rows")),
    "registrations_counted_delete": _APPLY.format(changes=_removed("old_rows")),
    "registrations_counted_update": _APPLY.format(
        changes=f"{_added('new_rows')} UNION ALL {_removed('old_rows')}"
    ),
}
TRIGGERS = {
    "registrations_counted_insert": "INSERT",
    "registrations_counted_delete": "DELETE",
    "registrations_counted_update": "UPDATE",
}


def upgrade() -> None:
    op.create_table(
        "event_counters",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlisted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_approval", sa.Integer(), server_default="0", nullable=False),
        sa.Column("declined", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancelled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("held", sa.Integer(), server_default="0", nullable=False),
        sa.Column("checked_in", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "confirmed >= 0 AND waitlisted >= 0 AND pending_approval >= 0 AND declined >= 0 "
            "AND cancelled >= 0 AND held >= 0 AND checked_in >= 0",
            name=op.f("ck_event_counters_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_counters_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_counters")),
    )
    op.execute(
        f"""
        INSERT INTO event_counters (event_id, confirmed, waitlisted, pending_approval,
                                    declined, cancelled, checked_in)
        SELECT e.id, coalesce(c.confirmed, 0), coalesce(c.waitlisted, 0),
               coalesce(c.pending_approval, 0), coalesce(c.declined, 0),
               coalesce(c.cancelled, 0), coalesce(c.checked_in, 0)
        FROM events AS e LEFT JOIN ({_added("registrations")}) AS c ON c.event_id = e.id
        """
    )
    op.execute(
        """
        CREATE FUNCTION events_add_counters() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO event_counters (event_id) VALUES (NEW.id);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_add_counters AFTER INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_add_counters()"
    )
    create_statement_triggers(
        "registrations", {name: (TRIGGERS[name], body) for name, body in TRIGGER_FUNCTIONS.items()}
    )

    op.execute("CREATE SEQUENCE registrations_waitlist_order_seq")
    op.add_column("registrations", sa.Column("waitlist_order", sa.BigInteger(), nullable=True))
    op.execute("UPDATE registrations SET waitlist_order = waitlist_position")
    op.execute(
        "SELECT setval('registrations_waitlist_order_seq', "
        "coalesce(max(waitlist_order), 0) + 1, false) FROM registrations"
    )
    op.drop_constraint(
        op.f("ck_registrations_waitlist_position_iff_waitlisted"), "registrations", type_="check"
    )
    op.drop_constraint(op.f("ck_registrations_position_1"), "registrations", type_="check")
    op.drop_column("registrations", "waitlist_position")
    op.create_check_constraint(
        op.f("ck_registrations_waitlist_order_iff_waitlisted"),
        "registrations",
        "(status = 'waitlisted') = (waitlist_order IS NOT NULL)",
    )
    op.create_index(
        "ix_registrations_waitlist",
        "registrations",
        ["event_id", "waitlist_order"],
        postgresql_where=sa.text("status = 'waitlisted'"),
    )
    op.create_index(
        "ix_registrations_event_organisation",
        "registrations",
        ["event_id", "organisation_key"],
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'pending_approval')"),
    )

    op.add_column("email_outbox", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("email_outbox", sa.Column("manage_token", sa.Text(), nullable=True))
    op.add_column("email_outbox", sa.Column("calendar_method", sa.String(length=8), nullable=True))
    op.add_column("email_outbox", sa.Column("waitlist_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Rows queued since the upgrade have no body; the older sender could not send them.
    op.execute("DELETE FROM email_outbox WHERE state = 'pending' AND body IS NULL")
    op.drop_column("email_outbox", "waitlist_position")
    op.drop_column("email_outbox", "calendar_method")
    op.drop_column("email_outbox", "manage_token")
    op.drop_column("email_outbox", "language")

    op.drop_index("ix_registrations_event_organisation", table_name="registrations")
    op.drop_index("ix_registrations_waitlist", table_name="registrations")
    op.drop_constraint(
        op.f("ck_registrations_waitlist_order_iff_waitlisted"), "registrations", type_="check"
    )
    op.add_column("registrations", sa.Column("waitlist_position", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE registrations AS r SET waitlist_position = ranked.n
        FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY waitlist_order) AS n
              FROM registrations WHERE status = 'waitlisted') AS ranked
        WHERE r.id = ranked.id
        """
    )
    op.drop_column("registrations", "waitlist_order")
    op.execute("DROP SEQUENCE registrations_waitlist_order_seq")
    op.create_check_constraint(
        op.f("ck_registrations_waitlist_position_iff_waitlisted"),
        "registrations",
        "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_registrations_position_1"),
        "registrations",
        "waitlist_position IS NULL OR waitlist_position > 0",
    )

    drop_statement_triggers("registrations", TRIGGER_FUNCTIONS)
    op.execute("DROP TRIGGER events_add_counters ON events")
    op.execute("DROP FUNCTION events_add_counters()")
    op.drop_table("event_counters")
