"""Keyset pagination on (created_at, id): stable under inserts, with an opaque cursor."""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import InvalidCursor

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int


def encode_cursor(created_at: datetime, id_: object) -> str:
    raw = json.dumps([created_at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, id_type: Callable[[str], Any]) -> tuple[datetime, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, id_ = json.loads(raw)
        if not isinstance(created_at, str) or not isinstance(id_, str):
            raise ValueError("not a pair of strings")
        moment = datetime.fromisoformat(created_at)
        # Naive, or beyond what the database's timestamps hold once in UTC.
        if moment.tzinfo is None or not 1900 <= moment.astimezone(UTC).year <= 9999:
            raise ValueError("not a time we could have issued")
        key = id_type(id_)
        if isinstance(key, int) and not -(2**63) <= key < 2**63:
            raise ValueError("id out of range")
        return moment, key
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidCursor("This cursor is not one we issued; start again without it.") from exc


@dataclass(frozen=True)
class Keyset:
    """The two columns a listing is ordered by, and how an id is read back from a cursor."""

    created_at: InstrumentedAttribute[datetime]
    id: InstrumentedAttribute[Any]
    id_type: Callable[[str], Any]


async def keyset_page(
    session: AsyncSession,
    query: Select[T],
    *,
    keyset: Keyset,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[T]:
    """One page of `query` (any ORDER BY it has is replaced), plus the total it matches."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    key = tuple_(keyset.created_at, keyset.id)
    if newest_first:
        query = query.order_by(None).order_by(keyset.created_at.desc(), keyset.id.desc())
    else:
        query = query.order_by(None).order_by(keyset.created_at, keyset.id)
    if cursor is not None:
        after = tuple_(*decode_cursor(cursor, keyset.id_type))
        query = query.where(key < after if newest_first else key > after)
    # One row more than asked tells whether another page follows.
    rows = list((await session.scalars(query.limit(limit + 1))).unique())
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(
            getattr(last, keyset.created_at.key), getattr(last, keyset.id.key)
        )
    return Page(items=items, next_cursor=next_cursor, total=total or 0)
