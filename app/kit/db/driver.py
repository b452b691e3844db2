"""A hot path's statements on the driver's own connection, each committing alone.

SQLAlchemy's execution (compiling from its cache, binding by name, result rows,
the ORM's loading) costs the sign-up more CPU than its database work. A
`DriverStatement` is a Core statement compiled once for asyncpg: a run binds its
parameters in the compiled order through the columns' own bind processors, and
asyncpg's prepared statement does the rest. The statement is still written in
SQLAlchemy, so the models and the SQL stay one source.

`committing_alone` hands out the asyncpg connection on which they run, each as a
transaction of its own (autocommit), so a row lock a statement takes is held
only while PostgreSQL runs it and flushes its commit: never across a round trip
to this process, which may be busy with other requests. Behind PgBouncer in
transaction mode, a statement outside a transaction could be parsed on one
server connection and bound on another, so there they run in one transaction.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

BEHIND_PGBOUNCER = "behind_pgbouncer"
"""The engine's execution option saying it reaches the database through PgBouncer."""

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled once to asyncpg's SQL (`$1`, `$2`, ...)."""

    sql: str
    names: tuple[str, ...]
    """The bound parameters' names, in the compiled order."""
    processors: tuple[Processor, ...]
    """Each parameter's bind processor (None: asyncpg takes the value as it is)."""
    fixed: Mapping[str, Any]
    """The values the statement carries itself (a comparison with a constant)."""

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect) -> "DriverStatement":
        """Refuses a statement whose columns SQLAlchemy would fill from their Python
        defaults when it executes: nothing fills them here, and they would go NULL."""
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        defaulted = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if defaulted:
            missing = ", ".join(sorted(column.name for column in defaulted))
            raise ValueError(
                f"give these columns a value: the driver fills no defaults ({missing})"
            )
        names = tuple(compiled.positiontup or ())
        binds = compiled.binds
        processors = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        fixed = {name: binds[name].effective_value for name in names if not binds[name].required}
        return cls(compiled.string, names, processors, fixed)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The values in the compiled order, each through its bind processor."""
        values = (params[name] if name in params else self.fixed[name] for name in self.names)
        return [
            value if process is None else process(value)
            for value, process in zip(values, self.processors, strict=True)
        ]


class AloneConnection:
    """The driver's connection, and the dialect its statements are compiled for.

    A statement that fails for any reason but the query's own (a PostgreSQL error
    such as a constraint's) leaves the connection in a state nobody knows: it
    is marked `lost`, and `committing_alone` has the pool drop it.
    """

    def __init__(self, driver: asyncpg.Connection, dialect: Dialect) -> None:
        self.driver, self.dialect = driver, dialect
        self.lost: BaseException | None = None

    async def fetchrow(
        self, statement: DriverStatement, params: Mapping[str, Any]
    ) -> asyncpg.Record | None:
        try:
            row: asyncpg.Record | None = await self.driver.fetchrow(
                statement.sql, *statement.arguments(params)
            )
        except asyncpg.PostgresError as exc:
            if not isinstance(exc, asyncpg.PostgresConnectionError):
                raise  # the query's own error: the connection is ready for the next
            self.lost = exc
            raise _invalidated(exc) from exc
        except Exception as exc:
            self.lost = exc
            raise _invalidated(exc) from exc
        except BaseException as exc:  # cancelled mid-statement
            self.lost = exc
            raise
        return row


def _invalidated(exc: Exception) -> DBAPIError:
    """The driver's failure as SQLAlchemy tells a connection it dropped, so that
    `app.kit.db_errors.outage_kind` knows it (503, not 500)."""
    return DBAPIError(None, None, exc, connection_invalidated=True)


@asynccontextmanager
async def committing_alone(session: AsyncSession) -> AsyncIterator[AloneConnection]:
    """An asyncpg connection of the session's engine on which every statement commits
    alone (see the module's docstring): use it only where one statement does the
    whole change, with nothing after it that could need to undo it.

    When the session is bound to a connection already in a transaction (the tests
    join an outer one), the statements run on that connection, in its transaction.
    """
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        yield AloneConnection(raw.driver_connection, connection.dialect)
        return
    async with bind.connect() as connection:
        raw = await connection.get_raw_connection()
        alone = AloneConnection(raw.driver_connection, bind.dialect)
        try:
            if bind.get_execution_options().get(BEHIND_PGBOUNCER):
                async with alone.driver.transaction():
                    yield alone
            else:
                yield alone
        finally:
            if alone.lost is not None:
                # SQLAlchemy never saw the driver fail: its pool must not hand the
                # connection out again.
                await connection.invalidate(alone.lost)
