"""manage_tokens: several valid manage links per registration; ticket codes keyed by the app

Each message with a manage link adds a token instead of replacing the only one,
so no later message voids the links before it. The QR ticket code no longer
derives from the manage token: it is an HMAC of the registration's id under the
app's signing key, so the digests of existing registrations are recomputed.

Downgrade keeps each registration's newest token; ticket codes stay keyed by
the app (the old ones derived from tokens that are not stored in clear).

Revision ID: 0004_manage_tokens
Revises: 0003_outbox
Create Date: 2026-11-28 21:24:59.990334+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.config import get_settings
from app.kit.secrets import signing_key
from app.tickets.code import ticket_code_hash

revision: str = "0004_manage_tokens"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manage_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_manage_tokens_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manage_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_manage_tokens_token_hash")),
    )
    op.create_index(
        "ix_manage_tokens_registration", "manage_tokens", ["registration_id", "created_at"]
    )
    # When each token was issued is not known: the move is the best date there is.
    op.execute(
        "INSERT INTO manage_tokens (registration_id, token_hash, created_at) "
        "SELECT id, manage_token_hash, now() FROM registrations ORDER BY created_at, id"
    )
    op.drop_constraint(op.f("uq_registrations_manage_token_hash"), "registrations", type_="unique")
    op.drop_column("registrations", "manage_token_hash")
    _rekey_ticket_codes()


def _rekey_ticket_codes() -> None:
    """Store the digest of each registration's code as the app now computes it."""
    connection = op.get_bind()
    ids = list(connection.scalars(sa.text("SELECT id FROM registrations")))
    if not ids:
        # Reads (or creates) the key only when there is something to key.
        return
    key = signing_key(get_settings())
    connection.execute(
        sa.text("UPDATE registrations SET ticket_code_hash = :hash WHERE id = :id"),
        [{"id": id_, "hash": ticket_code_hash(id_, key)} for id_ in ids],
    )


def downgrade() -> None:
    op.add_column(
        "registrations", sa.Column("manage_token_hash", sa.LargeBinary(length=32), nullable=True)
    )
    # The newest token: the link in the registrant's latest e-mail keeps working.
    op.execute(
        "UPDATE registrations SET manage_token_hash = ("
        "SELECT token_hash FROM manage_tokens WHERE registration_id = registrations.id "
        "ORDER BY created_at DESC, id DESC LIMIT 1)"
    )
    # A registration without a token (none should be) gets one nobody holds.
    op.execute(
        "UPDATE registrations SET manage_token_hash = sha256(uuid_send(gen_random_uuid())) "
        "WHERE manage_token_hash IS NULL"
    )
    op.alter_column("registrations", "manage_token_hash", nullable=False)
    op.create_unique_constraint(
        op.f("uq_registrations_manage_token_hash"), "registrations", ["manage_token_hash"]
    )
    op.drop_index("ix_manage_tokens_registration", table_name="manage_tokens")
    op.drop_table("manage_tokens")
