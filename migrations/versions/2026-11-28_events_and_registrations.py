"""events and registrations

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-28 20:36:49.207996+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("waitlist_enabled", sa.Boolean(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("registration_opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_per_organisation", sa.Integer(), nullable=True),
        sa.Column("languages", sa.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("organisers", sa.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_events_capacity_not_negative")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint(
            "max_per_organisation IS NULL OR max_per_organisation > 0",
            name=op.f("ck_events_max_per_organisation_positive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("organisation_key", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column(
            "affiliation_type",
            sa.Enum(
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
                name="affiliation_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column(
            "language",
            sa.Enum(
                "en",
                "fr",
                "es",
                "ar",
                "zh",
                "ru",
                name="language",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("has_un_grounds_pass", sa.Boolean(), nullable=False),
        sa.Column("accessibility_needs", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed",
                "waitlisted",
                "pending_approval",
                "declined",
                "cancelled",
                name="registration_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("manage_token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ticket_code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
            name=op.f("ck_registrations_waitlist_position_iff_waitlisted"),
        ),
        sa.CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position > 0",
            name=op.f("ck_registrations_position_1"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registrations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("manage_token_hash", name=op.f("uq_registrations_manage_token_hash")),
        sa.UniqueConstraint("ticket_code_hash", name=op.f("uq_registrations_ticket_code_hash")),
    )
    op.create_index(
        "ix_registrations_event_created",
        "registrations",
        ["event_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_registrations_event_status", "registrations", ["event_id", "status"], unique=False
    )
    op.create_index(
        "uq_registrations_event_email_active",
        "registrations",
        ["event_id", sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'pending_approval')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_registrations_event_email_active",
        table_name="registrations",
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'pending_approval')"),
    )
    op.drop_index("ix_registrations_event_status", table_name="registrations")
    op.drop_index("ix_registrations_event_created", table_name="registrations")
    op.drop_table("registrations")
    op.drop_table("events")
