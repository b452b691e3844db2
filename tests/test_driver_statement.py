"""A statement compiled for the driver binds exactly what it is given, in order, and
refuses to be built where SQLAlchemy would have filled a column itself."""

import pytest
from sqlalchemy import bindparam, insert, select

from app.kit.db import create_engine
from app.kit.db.driver import DriverStatement
from app.models import Event, OutboxMessage

URL = "postgresql+asyncpg://nobody@/nowhere?host=/nonexistent"
DIALECT = create_engine(URL).dialect


def test_an_insert_that_leaves_a_defaulted_column_out_is_refused() -> None:
    # `attempts` and `state` have Python defaults, which only SQLAlchemy's execution fills.
    statement = insert(OutboxMessage).values(
        id=bindparam("id"), kind=bindparam("kind"), recipient=bindparam("recipient")
    )
    with pytest.raises(ValueError, match="attempts"):
        DriverStatement.compile(statement, DIALECT)


def test_values_go_in_the_compiled_order_with_the_statements_own_constants() -> None:
    statement = select(Event.id).where(
        Event.capacity > bindparam("least"),
        Event.slug == bindparam("slug"),
        Event.access == "public",
    )
    compiled = DriverStatement.compile(statement, DIALECT)
    assert compiled.names[:2] == ("least", "slug")
    assert compiled.arguments({"slug": "side-event", "least": 3}) == [3, "side-event", "public"]
    assert "$3" in compiled.sql
