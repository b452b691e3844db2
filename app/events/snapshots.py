"""Events built from plain rows, and kept while their row is unchanged.

The sign-up's hot path reads the event as plain columns on the driver's own
connection (`app.kit.db.driver`) and needs an `Event` to decide with and to answer
with. Building one (the ORM's constructor, one instrumented attribute at a time)
costs more than the read, and an event's row hardly ever changes, so each
process keeps the last `Event` built for each slug with the values it was built
from, and builds anew only when the row's values differ in any field. The
`Event`s handed out are shared, and only read: they are in no session.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect

from app.models import Event

KEPT = 1024
"""How many events a process keeps; past it, the oldest built goes."""

Processor = Callable[[Any], Any] | None


@functools.cache
def _result_processors(fields: tuple[str, ...], dialect: Dialect) -> tuple[Processor, ...]:
    """Each field's result processor, as the ORM would apply it (arrays, enums)."""
    columns = Event.__table__.c
    return tuple(
        columns[name].type.dialect_impl(dialect).result_processor(dialect, None) for name in fields
    )


class EventSnapshots:
    """`Event`s by slug, each with the row values it was built from."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._by_slug: dict[str, tuple[tuple[Any, ...], Event]] = {}

    def event(self, row: Mapping[str, Any], fields: Sequence[str], dialect: Dialect) -> Event:
        """The event whose `fields` `row` holds (under the fields' names)."""
        values = tuple(row[name] for name in fields)
        slug = row["slug"]
        kept = self._by_slug.get(slug)
        if kept is not None and kept[0] == values:
            return kept[1]
        processors = _result_processors(tuple(fields), dialect)
        built = Event(
            **{
                name: value if process is None else process(value)
                for name, value, process in zip(fields, values, processors, strict=True)
            }
        )
        self._by_slug.pop(slug, None)
        if len(self._by_slug) >= self.kept:
            del self._by_slug[next(iter(self._by_slug))]
        self._by_slug[slug] = (values, built)
        return built


SNAPSHOTS = EventSnapshots()
"""The process's events, as the sign-up last read them."""
