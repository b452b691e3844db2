"""Invitations (RSVP): invited people, the seats they hold, their companions.

- `invitations`: one row per invited person; the RSVP token as a SHA-256
  digest; at most one pending or accepted invitation per (event, lower(email))
  (a partial unique index); pending ones indexed by deadline, per event and
  overall, so lapsed holds are found without a scan.
- `seats_held` feeds `event_counters.held` through statement-level triggers on
  `invitations`, as the registrations' triggers feed the other counters.
- `events.access`: `public` or `invitation_only`.
- `registrations.invitation_id` and `companion_of`; a companion shares the
  invitee's e-mail, so the one-active-registration-per-e-mail index leaves
  companions out.
- `email_outbox.invitation_id` and `rsvp_token` (in clear only until sent), and
  the invitation mail kinds.

Revision ID: 0011_invitations
Revises: 0010_dashboard_sessions
Create Date: 2026-11-30 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_invitations"
down_revision: str | None = "0010_dashboard_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('confirmed', 'waitlisted', 'pending_approval')"
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
)
INVITATION_KINDS = (
    "invitation",
    "delegate_invitation",
    "invitation_declined",
    "invitation_delegated",
)
AFFILIATIONS = (
    "member_state",
    "local_government",
    "un_system",
    "international_org",
    "civil_society",
    "migrant_diaspora",
    "academia",
    "private_sector",
    "media",
    "other",
)
LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru")
STATUSES = ("pending", "accepted", "declined", "delegated", "expired", "revoked")

# What a statement changed of the invitations' holds, per event; applied to `held`.
_APPLY_HELD = """
    UPDATE event_counters AS c SET held = c.held + d.n
    FROM (
        SELECT event_id, sum(n) AS n FROM ({changes}) AS each_side
        GROUP BY event_id HAVING sum(n) <> 0
    ) AS d
    WHERE c.event_id = d.event_id;
"""


def _held(rows: str, sign: str = "") -> str:
    return f"SELECT event_id, {sign}seats_held AS n FROM {rows} WHERE seats_held <> 0"


TRIGGER_FUNCTIONS = {
    "invitations_held_insert": _APPLY_HELD.format(changes=_held("new_rows")),
    "invitations_held_delete": _APPLY_HELD.format(changes=_held("old_rows", "-")),
    "invitations_held_update": _APPLY_HELD.format(
        changes=f"{_held('new_rows')} UNION ALL {_held('old_rows', '-')}"
    ),
}
TRIGGERS = {
    "invitations_held_insert": ("INSERT", "NEW TABLE AS new_rows"),
    "invitations_held_delete": ("DELETE", "OLD TABLE AS old_rows"),
    "invitations_held_update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
}


def _enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _kinds(values: Sequence[str]) -> None:
    final = op.f("ck_email_outbox_mail_kind")
    op.drop_constraint(final, "email_outbox", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(final, "email_outbox", f"kind IN ({listed})")


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("access", sa.String(length=32), server_default="public", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_events_access_known"), "events", "access IN ('public', 'invitation_only')"
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("affiliation_type", _enum("affiliation_type", AFFILIATIONS), nullable=True),
        sa.Column("language", _enum("language", LANGUAGES), nullable=False),
        sa.Column("companions_allowed", sa.Integer(), nullable=False),
        sa.Column("hold_seats", sa.Boolean(), nullable=False),
        sa.Column("allow_delegation", sa.Boolean(), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("status", _enum("invitation_status", STATUSES), nullable=False),
        sa.Column("seats_held", sa.Integer(), server_default="0", nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("registration_id", sa.Uuid(), nullable=True),
        sa.Column("delegated_to", sa.Uuid(), nullable=True),
        sa.Column("delegated_from", sa.Uuid(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "companions_allowed >= 0", name=op.f("ck_invitations_companions_not_negative")
        ),
        sa.CheckConstraint(
            "seats_held = 0 OR status = 'pending'",
            name=op.f("ck_invitations_only_pending_invitations_hold"),
        ),
        sa.CheckConstraint("seats_held >= 0", name=op.f("ck_invitations_seats_held_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_invitations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_invitations_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["delegated_to"],
            ["invitations.id"],
            name=op.f("fk_invitations_delegated_to_invitations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["delegated_from"],
            ["invitations.id"],
            name=op.f("fk_invitations_delegated_from_invitations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("seq", name=op.f("uq_invitations_seq")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(
        "uq_invitations_event_email_open",
        "invitations",
        ["event_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'accepted')"),
    )
    op.create_index(
        "ix_invitations_event_pending_respond_by",
        "invitations",
        ["event_id", "respond_by"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_invitations_pending_respond_by",
        "invitations",
        ["respond_by"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_invitations_event_seq", "invitations", ["event_id", "seq"])
    for name, body in TRIGGER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN {body} RETURN NULL; END $$;"
        )
        change, tables = TRIGGERS[name]
        op.execute(
            f"CREATE TRIGGER {name} AFTER {change} ON invitations REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )

    op.add_column("registrations", sa.Column("invitation_id", sa.Uuid(), nullable=True))
    op.add_column("registrations", sa.Column("companion_of", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_registrations_invitation_id_invitations"),
        "registrations",
        "invitations",
        ["invitation_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_registrations_companion_of_registrations"),
        "registrations",
        "registrations",
        ["companion_of"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_registrations_companion_of",
        "registrations",
        ["companion_of"],
        postgresql_where=sa.text("companion_of IS NOT NULL"),
    )
    op.drop_index("uq_registrations_event_email_active", table_name="registrations")
    op.create_index(
        "uq_registrations_event_email_active",
        "registrations",
        ["event_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text(f"{_ACTIVE} AND companion_of IS NULL"),
    )

    op.add_column("email_outbox", sa.Column("invitation_id", sa.Uuid(), nullable=True))
    op.add_column("email_outbox", sa.Column("rsvp_token", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_email_outbox_invitation_id_invitations"),
        "email_outbox",
        "invitations",
        ["invitation_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_email_outbox_invitation",
        "email_outbox",
        ["invitation_id", "created_at"],
        postgresql_where=sa.text("invitation_id IS NOT NULL"),
    )
    _kinds((*KINDS, *INVITATION_KINDS))


def downgrade() -> None:
    listed = ", ".join(f"'{kind}'" for kind in INVITATION_KINDS)
    op.execute(f"DELETE FROM email_outbox WHERE kind IN ({listed})")
    _kinds(KINDS)
    op.drop_index("ix_email_outbox_invitation", table_name="email_outbox")
    op.drop_constraint(
        op.f("fk_email_outbox_invitation_id_invitations"), "email_outbox", type_="foreignkey"
    )
    op.drop_column("email_outbox", "rsvp_token")
    op.drop_column("email_outbox", "invitation_id")

    # Companions go (they share the invitee's address, which the old index would refuse).
    op.execute("DELETE FROM registrations WHERE companion_of IS NOT NULL")
    op.drop_index("uq_registrations_event_email_active", table_name="registrations")
    op.create_index(
        "uq_registrations_event_email_active",
        "registrations",
        ["event_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text(_ACTIVE),
    )
    op.drop_index("ix_registrations_companion_of", table_name="registrations")
    op.drop_constraint(
        op.f("fk_registrations_companion_of_registrations"), "registrations", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_registrations_invitation_id_invitations"), "registrations", type_="foreignkey"
    )
    op.drop_column("registrations", "companion_of")
    op.drop_column("registrations", "invitation_id")

    # The holds go with the invitations: DELETE fires the trigger that takes them off `held`.
    op.execute("DELETE FROM invitations")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON invitations")
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("invitations")
    op.drop_constraint(op.f("ck_events_access_known"), "events", type_="check")
    op.drop_column("events", "access")
