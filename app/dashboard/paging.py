"""Keyset pages that go both ways, for the dashboard's tables.

The API's lists page forwards only (`next_cursor`); a table also goes back. A
page read backwards is the same keyset query newest first from its first row,
turned round, so both directions cost one index range scan whatever the page.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request

from app.dashboard.routing import here
from app.kit.pagination import KeysetPage, encode_cursor

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass(frozen=True)
class TablePage(Generic[T]):
    rows: list[T]
    total: int
    next_cursor: str | None
    """Pass as `after` for the page that follows; None on the last page."""
    previous_cursor: str | None
    """Pass as `before` for the page that comes before; None on the first page."""


Fetch = Callable[[str | None, bool], Awaitable[KeysetPage[T]]]
"""One keyset page of the list: fetch(cursor, newest_first)."""


async def two_way_page(
    fetch: Fetch[T], *, order_key: str, after: str | None = None, before: str | None = None
) -> TablePage[T]:
    """The rows after `after`, or else before `before`, or else the first ones, in
    the list's order (`order_key` names the rows' keyset column), with its total."""
    backwards = after is None and before is not None
    page = await fetch(before if backwards else after, backwards)
    rows = list(reversed(page.items)) if backwards else page.items
    if not rows:
        return TablePage(rows=[], total=page.total, next_cursor=None, previous_cursor=None)
    first = encode_cursor(getattr(rows[0], order_key))
    last = encode_cursor(getattr(rows[-1], order_key))
    if backwards:
        # More rows before these is what the newest-first query's cursor says; the
        # page we came back from follows.
        more_before, more_after = page.next_cursor is not None, True
    else:
        more_before, more_after = after is not None, page.next_cursor is not None
    return TablePage(
        rows=rows,
        total=page.total,
        next_cursor=last if more_after else None,
        previous_cursor=first if more_before else None,
    )


def page_links(request: Request, page: TablePage[Any] | None) -> dict[str, str | None]:
    """`previous_href` and `next_href` of a table page: this address with the cursor
    to the page before or after (None where there is none)."""
    return {
        "previous_href": here(request, before=page.previous_cursor, after=None)
        if page and page.previous_cursor
        else None,
        "next_href": here(request, after=page.next_cursor, before=None)
        if page and page.next_cursor
        else None,
    }
