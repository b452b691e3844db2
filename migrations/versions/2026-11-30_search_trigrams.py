"""Search (`q`) through an index of trigrams, without the pg_trgm extension.

`q` finds each of its words anywhere in a registration's folded search text
(`LIKE '%word%'`), which no B-tree can serve, so a search read every row of
the event. pg_trgm would index it, but the embedded PostgreSQL (pgserver) does
not ship it. The same idea in plain SQL works on every PostgreSQL:
`search_trigrams(text)` gives the distinct three-character pieces of a text,
and a GIN index over `search_trigrams(search_text)` finds the rows holding all
of a word's pieces (`@>`); the `LIKE` then checks each candidate
(`app.registrations.filters`). Nothing else changes: the index follows
`search_text` as it is written.

Revision ID: 0012_search_trigrams
Revises: 0011_invitations
Create Date: 2026-11-30 23:15:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_search_trigrams"
down_revision: str | None = "0011_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION search_trigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(value, i, 3)), '{}')
    FROM generate_series(1, length(value) - 2) AS i
$$
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(
        "CREATE INDEX ix_registrations_search_trigrams ON registrations "
        "USING gin (search_trigrams(search_text))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_registrations_search_trigrams")
    op.execute("DROP FUNCTION search_trigrams(text)")
