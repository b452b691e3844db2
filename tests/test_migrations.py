"""Alembic migrations: up from empty, down to base, up again, and no drift from the models."""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.db import Base
from app.migrations import downgrade, upgrade
from tests.conftest import admin_execute, database_url


@pytest.fixture
def empty_database(pg_server_url: str) -> Iterator[str]:
    name = "rsvp_test_migrations"
    statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"']
    asyncio.run(admin_execute(pg_server_url, *statements))
    yield database_url(pg_server_url, name)
    asyncio.run(admin_execute(pg_server_url, statements[0]))


def _inspect(url: str, fn: Callable[[Connection], Any]) -> Any:
    async def run() -> Any:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    return set(_inspect(url, lambda conn: inspect(conn).get_table_names()))


def _diff(url: str) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    return list(_inspect(url, compare))


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
