"""Keyset pagination on one ordered column, with an opaque cursor.

The column must be unique and grow in commit order (an identity drawn while the
rows' writers are serialised), so that a row committed after a page was read
always lands after that page: paging never repeats nor skips a row.

`Limit` and `Cursor` are the query parameters of every paginated listing.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.kit.errors import InvalidCursor

Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` from the previous page.")
]

T = TypeVar("T")

_BIGINT = range(-(2**63), 2**63)


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int


def encode_cursor(position: int) -> str:
    raw = json.dumps({"after": position}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)["after"]
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor("This cursor is not one we issued; start again without it.") from exc
    # bool is an int in Python; a position beyond BIGINT is not one of ours either.
    if type(position) is not int or position not in _BIGINT:
        raise InvalidCursor("This cursor is not one we issued; start again without it.")
    return position


async def keyset_page(
    session: AsyncSession,
    query: Select[T],
    *,
    order: InstrumentedAttribute[int],
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
    total: int | None = None,
    count_with_page: bool = False,
) -> KeysetPage[T]:
    """One page of `query` ordered by `order` (any ORDER BY it has is replaced),
    plus the total it matches, counted here unless the caller knows it.

    `count_with_page`: a first page counts in its own statement (a window over all
    the matches, before the limit): one round trip and one scan, not two. Worth it
    where finding the page reads every match anyway (a search's bitmap, sorted);
    a later page, after a cursor, still counts apart.
    """
    in_page = total is None and count_with_page and cursor is None
    if total is None and not in_page:
        count = select(func.count()).select_from(query.order_by(None).subquery())
        total = await session.scalar(count)
    query = query.order_by(None).order_by(order.desc() if newest_first else order)
    if cursor is not None:
        after = decode_cursor(cursor)
        query = query.where(order < after if newest_first else order > after)
    # One row more than asked tells whether another page follows.
    query = query.limit(limit + 1)
    if in_page:
        counted = (await session.execute(query.add_columns(func.count().over()))).unique().all()
        rows: list[T] = [row[0] for row in counted]
        total = counted[0][1] if counted else 0
    else:
        rows = list((await session.scalars(query)).unique())
    items = rows[:limit]
    next_cursor = encode_cursor(getattr(items[-1], order.key)) if len(rows) > limit else None
    return KeysetPage(items=items, next_cursor=next_cursor, total=total or 0)
