"""Running Alembic from code (the `rsvp migrate` command and the tests)."""

from collections.abc import Iterable, Mapping
from pathlib import Path

from alembic import command, op
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # Passed as an attribute, not an ini option: ini values are %-interpolated.
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


# The transition tables of an AFTER ... FOR EACH STATEMENT trigger, by the change it follows.
TRANSITION_TABLES = {
    "INSERT": "NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def create_statement_triggers(table: str, bodies: Mapping[str, tuple[str, str]]) -> None:
    """For each `name: (change, body)`, a PL/pgSQL function `name()` running `body` (SQL
    over `new_rows`/`old_rows`) and a trigger `name` calling it after each statement
    of `change` on `table` (the seat counters' and the tallies' triggers; in migrations)."""
    for name, (change, body) in bodies.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN {body} RETURN NULL; END $$;"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {change} ON {table} "
            f"REFERENCING {TRANSITION_TABLES[change]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def drop_statement_triggers(table: str, names: Iterable[str]) -> None:
    for name in names:
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
