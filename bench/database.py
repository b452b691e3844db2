"""A throw-away PostgreSQL for benchmarks: embedded, migrated, with the side-event seeded."""

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from app.events.seed import BUNDLED_EVENTS_FILE, load_event_file, seed_event
from app.kit.db import create_engine, create_sessionmaker, start_embedded_postgres
from app.migrations import upgrade


@contextmanager
def bench_database() -> Iterator[str]:
    """Yields an asyncpg URL to a fresh, migrated database with the bundled event."""
    with tempfile.TemporaryDirectory(prefix="rsvp-bench-") as folder:
        url = start_embedded_postgres(Path(folder) / "pg", database="bench")
        upgrade(url)
        asyncio.run(_seed(url))
        yield url


async def _seed(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        for fields in load_event_file(BUNDLED_EVENTS_FILE):
            await seed_event(session, fields, now=datetime.now(UTC))
    await engine.dispose()


async def insert_registrations(url: str, first: int, last: int, *, event_id: int = 1) -> None:
    """Adds confirmed registrations numbered first..last, in several scripts, awkward values."""
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO registrations (
                    id, event_id, email, given_name, family_name, organisation,
                    organisation_key, job_title, affiliation_type, country, language,
                    has_un_grounds_pass, accessibility_needs, status, search_text,
                    ticket_code_hash, created_at, updated_at)
                SELECT gen_random_uuid(), :event_id, 'person' || g || '@example.org',
                    (ARRAY['Ana', 'محمد', '伟', 'Дмитрий', 'Zoë'])[1 + g % 5],
                    'Family ' || g, 'Organisation ' || (g % 500),
                    'organisation ' || (g % 500), 'Job title, with "quotes"',
                    'civil_society', 'EC', 'en', g % 3 = 0,
                    CASE WHEN g % 10 = 0 THEN E'Line one\\nline two' END,
                    'confirmed', 'family ' || g,
                    sha256(('t' || g)::bytea),
                    now() + g * interval '1 millisecond', now()
                FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
                """
            ),
            {"event_id": event_id, "first": first, "last": last},
        )
    await engine.dispose()
