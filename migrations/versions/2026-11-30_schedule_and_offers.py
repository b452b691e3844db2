"""Scheduled messages and waitlist offers.

- `scheduled_jobs`: the durable scheduler's rows (a due time, done once).
- Event fields `reminders`, `invitation_reminders` (ISO 8601 durations),
  `promotion` (`auto` | `offer`) and `offer_hours`.
- `registrations.offer_expires_at`, with indexes for the next person to offer a
  seat to and for lapsed offers.
- `event_counters.offered`: waitlisted registrations holding an offer, kept by
  statement-level triggers of their own (beside 0006's), filled from the rows.
- Mail kinds `reminder`, `offer`, `offer_lapsed`.

Revision ID: 0016_schedule_and_offers
Revises: 0015_substitutes
Create Date: 2026-11-30 23:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_schedule_and_offers"
down_revision: str | None = "0015_substitutes"
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
)
NEW_KINDS = ("reminder", "offer", "offer_lapsed")

_OFFERED = "status = 'waitlisted' AND offer_expires_at IS NOT NULL"

# Each statement's net change of open offers per event; nothing written when none.
_APPLY = """
    UPDATE event_counters AS c SET offered = c.offered + d.n
    FROM (
        SELECT event_id, sum(n) AS n FROM ({changes}) AS each_side
        GROUP BY event_id HAVING sum(n) <> 0
    ) AS d
    WHERE c.event_id = d.event_id;
"""


def _side(rows: str, sign: int) -> str:
    return f"SELECT event_id, {sign} AS n FROM {rows} WHERE {_OFFERED}"


TRIGGER_FUNCTIONS = {
    "registrations_offered_insert": _APPLY.format(changes=_side("new_rows", 1)),
    "registrations_offered_delete": _APPLY.format(changes=_side("old_rows", -1)),
    "registrations_offered_update": _APPLY.format(
        changes=f"{_side('new_rows', 1)} UNION ALL {_side('old_rows', -1)}"
    ),
}
TRIGGERS = {
    "registrations_offered_insert": ("INSERT", "NEW TABLE AS new_rows"),
    "registrations_offered_delete": ("DELETE", "OLD TABLE AS old_rows"),
    "registrations_offered_update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
}


def _check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    final = op.f(f"ck_{table}_{name}")
    op.drop_constraint(final, table, type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(final, table, f"{column} IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "reminder",
                "invitation_reminder",
                "retention",
                name="job_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("before_seconds", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("progress", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_scheduled_jobs_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_jobs_key")),
    )
    op.create_index(
        "ix_scheduled_jobs_due",
        "scheduled_jobs",
        ["due_at"],
        postgresql_where=sa.text("done_at IS NULL"),
    )
    op.create_index("ix_scheduled_jobs_event", "scheduled_jobs", ["event_id"])

    op.add_column(
        "events",
        sa.Column(
            "reminders",
            sa.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{P1D}'"),
            nullable=False,
        ),
    )
    op.add_column(
        "events",
        sa.Column(
            "invitation_reminders",
            sa.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{P2D}'"),
            nullable=False,
        ),
    )
    op.add_column(
        "events",
        sa.Column(
            "promotion",
            sa.Enum(
                "auto",
                "offer",
                name="promotion",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            server_default="auto",
            nullable=False,
        ),
    )
    op.add_column(
        "events", sa.Column("offer_hours", sa.Integer(), server_default="24", nullable=False)
    )
    op.create_check_constraint(op.f("ck_events_offer_hours_positive"), "events", "offer_hours > 0")

    op.add_column(
        "registrations", sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_registrations_waitlist_unoffered",
        "registrations",
        ["event_id", "waitlist_order"],
        postgresql_where=sa.text("status = 'waitlisted' AND offer_expires_at IS NULL"),
    )
    op.create_index(
        "ix_registrations_open_offers",
        "registrations",
        ["offer_expires_at"],
        postgresql_where=sa.text(_OFFERED),
    )

    op.add_column(
        "event_counters", sa.Column("offered", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_event_counters_offered_not_negative"), "event_counters", "offered >= 0"
    )
    for name, body in TRIGGER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN {body} RETURN NULL; END $$;"
        )
        change, tables = TRIGGERS[name]
        op.execute(
            f"CREATE TRIGGER {name} AFTER {change} ON registrations REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )

    _check("email_outbox", "mail_kind", "kind", (*KINDS, *NEW_KINDS))


def downgrade() -> None:
    listed = ", ".join(f"'{kind}'" for kind in NEW_KINDS)
    op.execute(f"DELETE FROM email_outbox WHERE kind IN ({listed})")
    _check("email_outbox", "mail_kind", "kind", KINDS)

    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON registrations")
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_constraint(
        op.f("ck_event_counters_offered_not_negative"), "event_counters", type_="check"
    )
    op.drop_column("event_counters", "offered")

    # An open offer becomes a plain place on the waitlist again.
    op.drop_index("ix_registrations_open_offers", table_name="registrations")
    op.drop_index("ix_registrations_waitlist_unoffered", table_name="registrations")
    op.drop_column("registrations", "offer_expires_at")

    op.drop_constraint(op.f("ck_events_offer_hours_positive"), "events", type_="check")
    op.drop_column("events", "offer_hours")
    op.drop_column("events", "promotion")
    op.drop_column("events", "invitation_reminders")
    op.drop_column("events", "reminders")

    op.drop_index("ix_scheduled_jobs_event", table_name="scheduled_jobs")
    op.drop_index("ix_scheduled_jobs_due", table_name="scheduled_jobs")
    op.drop_table("scheduled_jobs")
