"""The attendee CSV: made by PostgreSQL, streamed from a server-side cursor, Excel-safe."""

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.cells import neutralise
from app.models import Event, Registration, RegistrationStatus
from app.registrations.filters import RegistrationFilters, apply_filters
from app.registrations.schemas import RegistrationRead

# Every column that may be asked for, in the default order: the registration object's
# fields, named as in the API.
COLUMNS: tuple[str, ...] = tuple(RegistrationRead.model_fields)
_TIMES = frozenset({"checked_in_at", "created_at", "updated_at", "offer_expires_at"})
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


def _cell(name: str, positions: Subquery) -> ColumnElement[Any]:
    """Column `name` as the CSV's text, made by PostgreSQL (NULL is an empty cell)."""
    if name == "waitlist_position":
        return cast(positions.c.position, String)
    column: Any = getattr(Registration, name)
    if name in _TIMES:
        # ISO 8601 in the session's time zone (the event's, set for the export).
        fraction = case(
            (func.extract("microseconds", column) % 1000000 != 0, func.to_char(column, ".US")),
            else_="",
        )
        return (
            func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS')
            + fraction
            + func.to_char(column, "TZH:TZM")
        )
    if name == "has_un_grounds_pass":
        return case((column, "true"), else_="false")
    return cast(column, String)


# Only text holding one of these can be changed by `neutralise`.
_TRIGGER_CHARACTERS = "[-=+@\t\r]"


def _text_columns(columns: Sequence[str]) -> list[int]:
    """Where the cells `neutralise` may change are: text from people."""
    formatted = _TIMES | {"has_un_grounds_pass", "waitlist_position", "event_slug"}
    return [i for i, name in enumerate(columns) if name not in formatted]


def export_query(event: Event, filters: RegistrationFilters, columns: Sequence[str]) -> Select[Any]:
    """One statement yielding the CSV's rows as text cells, in sign-up order, each with a
    last column saying whether its text may need neutralising."""
    positions = waitlist_positions(event)
    slug = literal(neutralise(event.slug), String)
    cells = [slug if name == "event_slug" else _cell(name, positions) for name in columns]
    # Last, whether any of the row's text needs neutralising (most rows: no).
    risky = [cells[i].regexp_match(_TRIGGER_CHARACTERS) for i in _text_columns(columns)]
    flag = func.coalesce(or_(*risky), False) if risky else literal(False)
    query = apply_filters(
        select(*cells, flag)
        .select_from(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.signup_seq),
        filters,
    )
    if "waitlist_position" in columns:
        query = query.outerjoin(positions, positions.c.id == Registration.id)
    return query


async def stream_csv(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    columns: Sequence[str],
    dialect: CsvDialect = CsvDialect.excel,
) -> AsyncIterator[bytes]:
    """Yield the CSV in chunks of about a thousand rows; memory stays flat.

    One tight pass: PostgreSQL filters, picks the columns and formats every cell
    (times in the event's time zone with their offset, true/false, positions),
    and a server-side cursor hands the rows to the C csv writer as they are. Only
    a row whose text holds a formula character goes through `neutralise` (the
    one rule, in Python), cell by cell.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    header = buffer.getvalue()
    yield (("\ufeff" if dialect == CsvDialect.excel else "") + header).encode()

    # Through the session first: that begins its transaction on the connection, which
    # the time zone setting (local to it) and the driver's cursor both need.
    await session.execute(select(func.set_config("TimeZone", event.timezone, True)))
    connection = await (await session.connection()).get_raw_connection()
    driver: Any = connection.driver_connection
    sql = str(
        export_query(event, filters, columns).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
    )
    text_columns = _text_columns(columns)
    width = len(columns)

    def safe(row: Any) -> Any:
        if not row[width]:
            return row[:width]
        cells = list(row[:width])
        for i in text_columns:
            if cells[i] is not None:
                cells[i] = neutralise(cells[i])
        return cells

    cursor = await driver.cursor(sql)
    while rows := await cursor.fetch(_BATCH):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(safe, rows))
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


def export_filename(event: Event, now: datetime, extension: str, *, kind: str = "") -> str:
    """`{slug}[-{kind}]-{YYYYmmdd-HHMMSS}.{extension}`, the time in the event's zone."""
    stamp = now.astimezone(ZoneInfo(event.timezone)).strftime("%Y%m%d-%H%M%S")
    return "-".join(part for part in (event.slug, kind, stamp) if part) + f".{extension}"
