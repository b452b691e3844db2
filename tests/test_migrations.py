"""Alembic migrations: up from empty, down to base, up again, and no drift from the models."""

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import get_settings
from app.kit.db import Base
from app.kit.secrets import digest, new_token
from app.migrations import downgrade, upgrade
from app.models import Registration
from app.registrations.service import get_by_token
from app.tickets.code import ticket_code_hash
from tests.fixtures.database import admin_execute, database_url, unique_database_name


@pytest.fixture
def empty_database(pg_server_url: str) -> Iterator[str]:
    name = unique_database_name("migrations")
    statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"']
    asyncio.run(admin_execute(pg_server_url, *statements))
    yield database_url(pg_server_url, name)
    asyncio.run(admin_execute(pg_server_url, statements[0]))


def _run(url: str, fn: Callable[[Connection], Any]) -> Any:
    """`fn` on a connection to `url`, in a transaction that commits."""

    async def run() -> Any:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    return set(_run(url, lambda conn: inspect(conn).get_table_names()))


def _diff(url: str) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    return list(_run(url, compare))


def test_upgrade_from_empty_creates_every_table(empty_database: str) -> None:
    upgrade(empty_database)
    assert _tables(empty_database) >= set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_removes_every_table(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert _tables(empty_database) == {"alembic_version"}


def test_upgrade_after_downgrade_succeeds(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    upgrade(empty_database)
    assert _tables(empty_database) >= set(Base.metadata.tables)


def test_models_match_the_migrations(empty_database: str) -> None:
    upgrade(empty_database)
    assert _diff(empty_database) == []


SECRET_KEY = "the-key-of-the-migrated-site"


@pytest.fixture
def site_secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SECRET_KEY for the process settings, which migrations read (as `rsvp migrate` does)."""
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    yield SECRET_KEY
    get_settings.cache_clear()


def _sign_up_before_0004(conn: Connection, registration_id: uuid.UUID, token: str) -> None:
    """A registration as 0003 stored it: its only manage token's digest on the row."""
    conn.execute(
        text(
            "INSERT INTO events (slug, title, summary, starts_at, ends_at, timezone, venue, "
            "capacity, waitlist_enabled, approval_required, languages, organisers) "
            "VALUES ('side-event', 'Side-event', '', now(), now() + interval '1 hour', "
            "'America/New_York', 'Conference Room 6', 10, true, false, '{en}', '{}')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO registrations (id, event_id, email, given_name, family_name, "
            "organisation, organisation_key, affiliation_type, language, has_un_grounds_pass, "
            "status, search_text, manage_token_hash, ticket_code_hash) "
            "SELECT :id, id, 'delegate@example.org', 'Ana', 'Quispe', 'Cuenca', 'cuenca', "
            "'local_government', 'es', false, 'confirmed', 'ana', :manage, :ticket FROM events"
        ),
        {"id": registration_id, "manage": digest(token), "ticket": os.urandom(32)},
    )


def _registration_by_token(url: str, token: str) -> Registration:
    async def find() -> Registration:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                return await get_by_token(session, token)
        finally:
            await engine.dispose()

    return asyncio.run(find())


def test_manage_links_move_to_their_table_and_back_and_ticket_codes_are_rekeyed(
    empty_database: str, site_secret_key: str
) -> None:
    upgrade(empty_database, "0003_outbox")
    registration_id, token = uuid.uuid4(), new_token()
    _run(empty_database, lambda conn: _sign_up_before_0004(conn, registration_id, token))

    upgrade(empty_database)
    registration = _registration_by_token(empty_database, token)
    assert registration.id == registration_id
    assert registration.ticket_code_hash == ticket_code_hash(registration_id, site_secret_key)

    # A link e-mailed later: the one a downgrade keeps, as the latest e-mail's.
    later = new_token()
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "INSERT INTO manage_tokens (registration_id, token_hash, created_at) "
                "VALUES (:id, :hash, now() + interval '1 minute')"
            ),
            {"id": registration_id, "hash": digest(later)},
        ),
    )
    downgrade(empty_database, "0003_outbox")
    stored = _run(
        empty_database,
        lambda conn: conn.scalar(text("SELECT manage_token_hash FROM registrations")),
    )
    assert stored == digest(later)


def _before_0006(conn: Connection) -> None:
    """An event as 0005 stored it: two seated (one arrived), a waitlist of three with
    stored positions, one pending, one cancelled, and a message rendered when queued."""
    conn.execute(
        text(
            "INSERT INTO events (slug, title, summary, starts_at, ends_at, timezone, venue, "
            "capacity, waitlist_enabled, approval_required, languages, organisers) "
            "VALUES ('side-event', 'Side-event', '', now(), now() + interval '1 hour', "
            "'America/New_York', 'Conference Room 6', 2, true, false, '{en}', '{}')"
        )
    )
    rows = [
        ("seated", "confirmed", None, True),
        ("seated-too", "confirmed", None, False),
        ("third", "waitlisted", 3, False),
        ("first", "waitlisted", 1, False),
        ("second", "waitlisted", 2, False),
        ("pending", "pending_approval", None, False),
        ("gone", "cancelled", None, False),
    ]
    for name, status, position, arrived in rows:
        conn.execute(
            text(
                "INSERT INTO registrations (id, event_id, email, given_name, family_name, "
                "organisation, organisation_key, affiliation_type, language, "
                "has_un_grounds_pass, status, waitlist_position, checked_in_at, search_text, "
                "ticket_code_hash) "
                "SELECT :id, id, :email, 'Ana', :name, 'Cuenca', 'cuenca', 'local_government', "
                "'es', false, :status, :position, "
                "CASE WHEN :arrived THEN now() END, 'ana', :ticket FROM events"
            ),
            {
                "id": uuid.uuid4(),
                "email": f"{name}@example.org",
                "name": name,
                "status": status,
                "position": position,
                "arrived": arrived,
                "ticket": os.urandom(32),
            },
        )
    conn.execute(
        text(
            "INSERT INTO email_outbox (id, event_id, kind, recipient, subject, message_id, "
            "body, state, attempts, next_attempt_at, created_at) "
            "SELECT :id, id, 'confirmed', 'seated@example.org', 'Registration confirmed', "
            "'<queued-before@rsvp.test>', :body, 'pending', 0, now(), now() FROM events"
        ),
        {"id": uuid.uuid4(), "body": RENDERED_BEFORE},
    )


RENDERED_BEFORE = b"Subject: Registration confirmed\r\n\r\nRendered when queued.\r\n"


def _all(url: str, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in _run(url, lambda conn: conn.execute(text(sql)).all())]


def test_0006_counts_the_rows_orders_the_waitlist_and_keeps_rendered_messages(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0005_signup_seq")
    _run(empty_database, _before_0006)

    upgrade(empty_database, "0006_seat_counters")
    assert _all(
        empty_database,
        "SELECT confirmed, waitlisted, pending_approval, declined, cancelled, held, checked_in "
        "FROM event_counters",
    ) == [(2, 3, 1, 0, 1, 0, 1)]
    assert _all(
        empty_database,
        "SELECT family_name FROM registrations WHERE status = 'waitlisted' ORDER BY waitlist_order",
    ) == [("first",), ("second",), ("third",)]
    # A later joiner queues behind them, and the counters follow the change.
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "UPDATE registrations SET status = 'waitlisted', "
                "waitlist_order = nextval('registrations_waitlist_order_seq') "
                "WHERE family_name = 'pending'"
            )
        ),
    )
    assert _all(
        empty_database,
        "SELECT (SELECT family_name FROM registrations WHERE status = 'waitlisted' "
        "ORDER BY waitlist_order DESC LIMIT 1), waitlisted, pending_approval "
        "FROM event_counters",
    ) == [("pending", 4, 0)]
    # The message rendered before the upgrade is sent as it was queued.
    assert _all(empty_database, "SELECT body, state FROM email_outbox") == [
        (RENDERED_BEFORE, "pending")
    ]

    downgrade(empty_database, "0005_signup_seq")
    assert _all(
        empty_database,
        "SELECT family_name, waitlist_position FROM registrations "
        "WHERE status = 'waitlisted' ORDER BY waitlist_position",
    ) == [("first", 1), ("second", 2), ("third", 3), ("pending", 4)]


def test_0009_tallies_the_rows_there_and_follows_later_changes(empty_database: str) -> None:
    upgrade(empty_database, "0005_signup_seq")
    _run(empty_database, _before_0006)
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "UPDATE registrations SET country = 'EC', "
                "created_at = timestamptz '2013-09-02 03:50+00' WHERE family_name = 'first'"
            )
        ),
    )

    upgrade(empty_database, "0009_event_tallies")
    tallies = "SELECT dimension, key, count FROM event_tallies WHERE count > 0 ORDER BY 1, 2"
    quarter = _all(
        empty_database,
        "SELECT to_char(date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00+00') "
        "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"') FROM registrations "
        "WHERE family_name = 'seated'",
    )[0][0]
    # Six active (one from Ecuador), seven sign-ups; 'first' in its own quarter hour.
    expected = [
        ("affiliation_type", "local_government", 6),
        ("country", "", 5),
        ("country", "EC", 1),
        ("signup_quarter", "2013-09-02T03:45Z", 1),
        ("signup_quarter", quarter, 6),
    ]
    assert _all(empty_database, tallies) == sorted(expected)
    # A cancellation leaves the breakdowns, not the sign-ups; a deletion leaves both.
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "UPDATE registrations SET status = 'cancelled', waitlist_order = NULL "
                "WHERE family_name = 'first'"
            )
        ),
    )
    _run(
        empty_database,
        lambda conn: conn.execute(text("DELETE FROM registrations WHERE family_name = 'gone'")),
    )
    expected = [
        ("affiliation_type", "local_government", 5),
        ("country", "", 5),
        ("signup_quarter", "2013-09-02T03:45Z", 1),
        ("signup_quarter", quarter, 5),
    ]
    assert _all(empty_database, tallies) == sorted(expected)
    # Deleting the event takes its rows and tallies with it.
    _run(empty_database, lambda conn: conn.execute(text("DELETE FROM events")))
    assert _all(empty_database, "SELECT count(*) FROM event_tallies") == [(0,)]

    downgrade(empty_database, "0008_abuse_limits")
    assert "event_tallies" not in _tables(empty_database)


def _execute(sql: str) -> Callable[[Connection], object]:
    return lambda conn: conn.execute(text(sql))


def test_0013_tallies_the_messages_there_and_follows_later_changes(empty_database: str) -> None:
    upgrade(empty_database, "0005_signup_seq")
    _run(empty_database, _before_0006)
    upgrade(empty_database, "0012_search_trigrams")
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "INSERT INTO email_outbox (id, event_id, registration_id, kind, recipient, "
                "subject, message_id, state, attempts, next_attempt_at, created_at) "
                "SELECT gen_random_uuid(), event_id, id, 'confirmed', email, 'Confirmed', "
                "'<' || id || '@example.org>', CASE WHEN family_name = 'first' THEN 'sent' "
                "ELSE 'pending' END, 0, now(), now() FROM registrations"
            )
        ),
    )
    before = _all(empty_database, "SELECT state, count(*) FROM email_outbox GROUP BY 1 ORDER BY 1")

    upgrade(empty_database, "0013_outbox_tallies")
    in_state = (
        "SELECT state, sum(CASE way WHEN 'left' THEN -count ELSE count END) AS n "
        "FROM outbox_tallies GROUP BY state HAVING sum(CASE way WHEN 'left' THEN -count "
        "ELSE count END) <> 0 ORDER BY state"
    )
    assert _all(empty_database, in_state) == before
    # The sender's claim changes no state; sending, failing and deleting do.
    for change in (
        "UPDATE email_outbox SET claimed_until = now()",
        "UPDATE email_outbox SET state = 'sent' WHERE ctid = (SELECT min(ctid) FROM "
        "email_outbox WHERE state = 'pending')",
        "UPDATE email_outbox SET state = 'failed' WHERE ctid = (SELECT min(ctid) FROM "
        "email_outbox WHERE state = 'pending')",
        "DELETE FROM email_outbox WHERE ctid = (SELECT min(ctid) FROM email_outbox "
        "WHERE state = 'sent')",
    ):
        _run(empty_database, _execute(change))
        counted = "SELECT state, count(*) FROM email_outbox GROUP BY 1 ORDER BY 1"
        assert _all(empty_database, in_state) == _all(empty_database, counted), change
    # Deleting the event takes its messages and tallies with it.
    _run(empty_database, lambda conn: conn.execute(text("DELETE FROM events")))
    assert _all(empty_database, "SELECT count(*) FROM outbox_tallies") == [(0,)]

    downgrade(empty_database, "0012_search_trigrams")
    assert "outbox_tallies" not in _tables(empty_database)


def test_0020_flags_the_rows_there_whose_text_may_hold_a_formula(empty_database: str) -> None:
    upgrade(empty_database, "0005_signup_seq")
    _run(empty_database, _before_0006)
    upgrade(empty_database, "0019_invitation_reminders")
    for change in (
        "organisation = 'Mairie;=1+1' WHERE family_name = 'first'",
        "job_title = 'Officer, migration' WHERE family_name = 'second'",
    ):
        _all(empty_database, f"UPDATE registrations SET {change} RETURNING 1")

    upgrade(empty_database, "0020_formula_check")
    flagged = "SELECT family_name FROM registrations WHERE needs_formula_check ORDER BY 1"
    assert _all(empty_database, flagged) == [("first",)]
    # Kept on every later write.
    _run(
        empty_database,
        lambda conn: conn.execute(
            text(
                "UPDATE registrations SET accessibility_needs = E'Ramp\\n@ door' "
                "WHERE family_name = 'third'"
            )
        ),
    )
    assert _all(empty_database, flagged) == [("first",), ("third",)]
