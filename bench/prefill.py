"""Filling an event with registrations straight in SQL, as fast as PostgreSQL allows.

Sign-ups over HTTP would take hours for 500,000 people; one `INSERT ... SELECT
generate_series` per chunk takes seconds. The rows obey the schema's constraints
(migrations/ and app/models): distinct e-mails and ticket hashes, no waitlisted
rows (so no waitlist positions to keep consistent), folded search text.

When the schema changes (seat counters kept on the event, a waitlist order instead
of positions), this module is the one place to adapt: the INSERT below and
`_sync_event_state`, which brings whatever the app keeps about an event's
registrations in line with the rows just added.
"""

import sys
import time

import asyncpg

from bench.postgres import Postgres

CHUNK = 50_000

# Names from several scripts (search folds case; accents are left out because
# SQL's lower() does not strip them as the app's fold() does).
GIVEN_NAMES = (
    "Ana", "Amina", "Carlos", "Chen", "Dmitri", "Fatima", "Hiroshi", "Ines", "Juan",
    "Kwame", "Leila", "Maria", "Mohamed", "Nadia", "Olga", "Pedro", "Priya", "Sara",
    "Wei", "Yusuf",
)  # fmt: skip
FAMILY_NAMES = (
    "Abebe", "Alvarez", "Banerjee", "Castillo", "Diallo", "Dubois", "Garcia", "Haddad",
    "Ivanova", "Kamau", "Kim", "Kowalski", "Li", "Lopez", "Martin", "Mensah", "Moreno",
    "Nguyen", "Okafor", "Olsen", "Papadopoulos", "Perez", "Petrov", "Rahman", "Rossi",
    "Santos", "Schmidt", "Silva", "Suzuki", "Tanaka", "Torres", "Wang", "Yilmaz", "Zhang",
)  # fmt: skip
AFFILIATIONS = (
    "member_state", "local_government", "un_system", "international_org", "civil_society",
    "migrant_diaspora", "academia", "private_sector", "media", "other",
)  # fmt: skip
COUNTRIES = ("FR", "EC", "US", "KE", "IN", "BR", "CN", "DE", "EG", "RU", "ES", "GH")


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


def _pick(values: tuple[str, ...], index: str) -> str:
    return f"({_array(values)})[1 + ({index}) % {len(values)}]"


# Row g of the event: 2% cancelled, 10% checked in, a third with a grounds pass,
# created over the last two months. $1 event id, $2 first g, $3 last g.
INSERT_REGISTRATIONS = f"""
INSERT INTO registrations (
    id, event_id, email, given_name, family_name, organisation, organisation_key,
    job_title, affiliation_type, country, language, has_un_grounds_pass,
    accessibility_needs, status, search_text, ticket_code_hash, checked_in_at,
    created_at, updated_at)
SELECT
    gen_random_uuid(), $1, p.email, p.given_name, p.family_name, p.organisation,
    lower(p.organisation), 'Programme officer, "migration"',
    {_pick(AFFILIATIONS, "g")}, {_pick(COUNTRIES, "g / 7")}, 'en', g % 3 = 0,
    CASE WHEN g % 10 = 0 THEN E'Step-free access\\nand a seat near the door' END,
    CASE WHEN g % 50 = 0 THEN 'cancelled' ELSE 'confirmed' END,
    lower(p.given_name || ' ' || p.family_name || ' ' || p.email || ' ' || p.organisation),
    sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
    CASE WHEN g % 10 = 1 THEN now() END,
    now() - (($3 - g) * interval '5 seconds'), now()
FROM generate_series($2::integer, $3::integer) AS g,
LATERAL (SELECT
    'prefill-' || g || '@example.org' AS email,
    {_pick(GIVEN_NAMES, "g")} AS given_name,
    {_pick(FAMILY_NAMES, "g / 20")} || ' ' || g AS family_name,
    'Organisation ' || (g % 5000) AS organisation) AS p
"""


async def _sync_event_state(conn: asyncpg.Connection, event_id: int) -> None:
    """Brings what the app stores about the event's registrations, beyond the rows
    themselves, in line with them. Nothing: the seat counters (`event_counters`)
    follow every INSERT by trigger, this one's too."""


def prefill(pg: Postgres, database: str, *, slug: str, count: int) -> int:
    """Tops the event `slug` up to `count` registrations; returns how many it has."""

    async def work(conn: asyncpg.Connection) -> int:
        event_id = await conn.fetchval("SELECT id FROM events WHERE slug = $1", slug)
        have = await conn.fetchval(
            "SELECT count(*) FROM registrations WHERE event_id = $1", event_id
        )
        if have >= count:
            return int(have)
        started = time.monotonic()
        for first in range(have + 1, count + 1, CHUNK):
            last = min(first + CHUNK - 1, count)
            async with conn.transaction():
                await conn.execute(INSERT_REGISTRATIONS, event_id, first, last)
                await _sync_event_state(conn, event_id)
            print(
                f"  pre-filling {slug}: {last:,} of {count:,} registrations "
                f"({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
        await conn.execute("VACUUM ANALYZE registrations")
        return count

    return pg.run(database, work)
