"""The attendee CSV: streamed from a server-side cursor, safe to open in Excel."""

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.cells import neutralise
from app.models import Event, Registration, RegistrationStatus
from app.registrations.filters import RegistrationFilters, apply_filters
from app.registrations.schemas import RegistrationRead

# Every column that may be asked for, in the default order: the registration object's
# fields, named as in the API.
COLUMNS: tuple[str, ...] = tuple(RegistrationRead.model_fields)
_TIMES = frozenset({"checked_in_at", "created_at", "updated_at"})
_BATCH = 1000


class CsvDialect(StrEnum):
    excel = "excel"
    """UTF-8 with a byte-order mark (so Excel detects UTF-8), comma, CRLF."""
    rfc4180 = "rfc4180"
    """RFC 4180: comma, CRLF, no byte-order mark."""


class UnknownColumns(ValueError):
    pass


def parse_columns(spec: str | None) -> list[str]:
    """`"family_name, email"` -> ["family_name", "email"]; None or "" -> every column."""
    if not spec or not spec.strip():
        return list(COLUMNS)
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise UnknownColumns(
            f"Unknown column(s): {', '.join(unknown)}. Available: {', '.join(COLUMNS)}."
        )
    return names


def _formatter(name: str, zone: ZoneInfo) -> Callable[[Any], str]:
    if name in _TIMES:
        return lambda value: value.astimezone(zone).isoformat() if value else ""
    if name == "has_un_grounds_pass":
        return lambda value: "true" if value else "false"
    return lambda value: "" if value is None else neutralise(str(value))


async def stream_csv(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    columns: Sequence[str],
    dialect: CsvDialect = CsvDialect.excel,
) -> AsyncIterator[bytes]:
    """Yield the CSV in chunks of about a thousand rows; memory stays flat.

    Times are written in the event's time zone with their offset.
    """
    zone = ZoneInfo(event.timezone)
    table_columns = [c for c in columns if c != "event_slug"]
    formatters = [_formatter(name, zone) for name in columns]
    positions = waitlist_positions(event)
    query = apply_filters(
        select(
            *(
                positions.c.position if name == "waitlist_position" else getattr(Registration, name)
                for name in table_columns
            )
        )
        .where(Registration.event_id == event.id)
        .order_by(Registration.signup_seq),
        filters,
    )
    if "waitlist_position" in table_columns:
        query = query.outerjoin(positions, positions.c.id == Registration.id)
    query = query.execution_options(yield_per=_BATCH)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    header = buffer.getvalue()
    yield (("\ufeff" if dialect == CsvDialect.excel else "") + header).encode()

    result = await session.stream(query)
    async for rows in result.partitions(_BATCH):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_cells(row, columns, formatters, event.slug) for row in rows)
        yield buffer.getvalue().encode()


def waitlist_positions(event: Event) -> Subquery:
    """(id, position) of the event's waitlist, numbered in one pass over its index."""
    return (
        select(
            Registration.id,
            func.row_number().over(order_by=Registration.waitlist_order).label("position"),
        )
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.waitlisted,
        )
        .subquery("waitlist")
    )


def _cells(
    row: Row[Any], columns: Sequence[str], formatters: Sequence[Callable[[Any], str]], slug: str
) -> list[str]:
    values = iter(row)
    return [
        slug if name == "event_slug" else fmt(next(values))
        for name, fmt in zip(columns, formatters, strict=True)
    ]


def export_filename(event: Event, now: datetime, extension: str, *, kind: str = "") -> str:
    """`{slug}[-{kind}]-{YYYYmmdd-HHMMSS}.{extension}`, the time in the event's zone."""
    stamp = now.astimezone(ZoneInfo(event.timezone)).strftime("%Y%m%d-%H%M%S")
    return "-".join(part for part in (event.slug, kind, stamp) if part) + f".{extension}"
