"""The attendee CSV: PostgreSQL's own `COPY` of one statement, streamed, Excel-safe."""

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
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.cells import neutralise, neutralised
from app.exports.copy_stream import ROW_END, Copied, copy_out, crlf_rows
from app.models import Event, Registration, RegistrationStatus
from app.models.registration import FREE_TEXT_COLUMNS
from app.registrations.filters import RegistrationFilters, apply_filters
from app.registrations.schemas import RegistrationRead

# Every column that may be asked for, in the default order: the registration object's
# fields, named as in the API.
COLUMNS: tuple[str, ...] = tuple(RegistrationRead.model_fields)
_TIMES = frozenset({"checked_in_at", "created_at", "updated_at", "offer_expires_at"})


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
        # ISO 8601 in the session's time zone (the event's, set for the export), with
        # microseconds only when there are some; one to_char is the cheapest way.
        return func.replace(
            func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'), ".000000", ""
        )
    if name == "has_un_grounds_pass":
        return case((column, "true"), else_="false")
    if name in FREE_TEXT_COLUMNS:
        # Most rows hold no formula trigger at all, as the row says (kept on write);
        # an empty text is an empty cell, as NULL is (`COPY` would write "").
        safe = case((Registration.needs_formula_check, neutralised(column)), else_=column)
        return func.nullif(safe, "")
    return cast(column, String)


def _alone(cell: ColumnElement[Any]) -> ColumnElement[Any]:
    """Python's csv writer (the file's format before `COPY`, which readers rely on)
    left empty cells bare but quoted the only cell of a row, so that the row is not
    a blank line; `COPY` writes an empty text as ""."""
    return func.coalesce(cell, "")


def export_query(event: Event, filters: RegistrationFilters, columns: Sequence[str]) -> Select[Any]:
    """One statement yielding the CSV's rows as text cells, named as the columns, in
    sign-up order, formula-safe; each row ends with `ROW_END` (for `crlf_rows`)."""
    positions = waitlist_positions(event)
    slug = literal(neutralise(event.slug), String)
    cells = [slug if name == "event_slug" else _cell(name, positions) for name in columns]
    if len(cells) == 1:
        cells = [_alone(cells[0])]
    query = apply_filters(
        select(*(cell.label(name) for cell, name in zip(cells, columns, strict=True)), ROW_END)
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
    copied: Copied | None = None,
) -> AsyncIterator[bytes]:
    """Yield the CSV as PostgreSQL's `COPY ... TO STDOUT (FORMAT csv, HEADER)` sends it;
    memory stays flat (a slow reader holds the copy back).

    PostgreSQL filters, picks the columns and formats every cell (times in the
    event's time zone with their offset, true/false, positions, the formula rule);
    Python only adds the byte-order mark and turns the rows' line ends into CRLF.
    Once the last row is out, `copied.rows` says how many there were.
    """
    if dialect == CsvDialect.excel:
        yield "\ufeff".encode()
    # Through the session first: that begins its transaction on the connection, which
    # the time zone setting (local to it) and the copy both need.
    await session.execute(select(func.set_config("TimeZone", event.timezone, True)))
    connection = await (await session.connection()).get_raw_connection()
    sql = str(
        export_query(event, filters, columns).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
    )
    async for chunk in crlf_rows(copy_out(connection.driver_connection, sql, copied)):
        yield chunk


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
