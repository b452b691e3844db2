"""One embedded PostgreSQL (pgserver, as the app embeds) for a whole bench run.

The schema comes from the app's own `rsvp migrate` and the bench event from
`rsvp seed`, once, into a template database; each benchmark then gets a fresh copy
(`CREATE DATABASE ... TEMPLATE`, a file copy). Nothing here imports the app: the
bench measures any version of it through its CLI, HTTP API and tables.
"""

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg

T = TypeVar("T")
TEMPLATE = "bench_template"


@dataclass(frozen=True)
class Postgres:
    socket_dir: str
    user: str
    postmaster_pid: int

    def dsn(self, database: str) -> str:
        """A libpq/asyncpg URL over the server's Unix socket."""
        return f"postgresql://{self.user}:@/{database}?host={self.socket_dir}"

    def app_url(self, database: str) -> str:
        """The same, as the app's DATABASE_URL."""
        return self.dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)

    def run(self, database: str, work: Callable[[asyncpg.Connection], Coroutine[Any, Any, T]]) -> T:
        """Runs `work` on a fresh connection to `database`."""

        async def main() -> T:
            conn = await asyncpg.connect(self.dsn(database))
            try:
                return await work(conn)
            finally:
                await conn.close()

        return asyncio.run(main())

    def execute(self, database: str, query: str, *args: object) -> None:
        async def work(conn: asyncpg.Connection) -> None:
            await conn.execute(query, *args)

        self.run(database, work)

    def value(self, database: str, query: str, *args: object) -> Any:
        async def work(conn: asyncpg.Connection) -> Any:
            return await conn.fetchval(query, *args)

        return self.run(database, work)

    def clone(self, name: str, template: str = TEMPLATE) -> str:
        """A new database `name`, a copy of `template` (which must have no connections)."""
        self.execute("postgres", f'DROP DATABASE IF EXISTS "{name}"')
        self.execute("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name


@contextmanager
def embedded_postgres(folder: Path) -> Iterator[Postgres]:
    """Starts PostgreSQL with its data in `folder`; stops it when the block ends."""
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # XDG_RUNTIME_DIR unset, harmless
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        pid = server.get_pid()
        if pid is None:
            raise RuntimeError(f"PostgreSQL did not start in {folder}")
        parts = urlsplit(server.get_uri())
        socket_dir = parse_qs(parts.query)["host"][0]
        yield Postgres(
            socket_dir=socket_dir,
            user=parts.username or "postgres",
            postmaster_pid=pid,
        )
    finally:
        server.cleanup()
