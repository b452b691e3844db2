"""Exports of an event's attendees, each recorded in the audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.exports.attendees_csv import CsvDialect
from app.exports.security_list import SecurityList, build_security_list
from app.models import Event, Organiser, Registration
from app.registrations.filters import RegistrationFilters, apply_filters


async def count_filtered(session: AsyncSession, event: Event, filters: RegistrationFilters) -> int:
    query = apply_filters(select(Registration.id).where(Registration.event_id == event.id), filters)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def record_csv_export(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    columns: list[str],
    dialect: CsvDialect,
    actor: Organiser,
    now: datetime,
) -> int:
    """Audit the export before its first byte leaves (so an aborted download is on record
    too), with the number of rows matching when it starts; returns that number."""
    rows = await count_filtered(session, event, filters)
    details: dict[str, Any] = {
        "filters": filters.model_dump(mode="json", exclude_none=True),
        "columns": columns,
        "dialect": dialect.value,
        "rows": rows,
    }
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.export_csv",
        event=event,
        after=details,
        now=now,
    )
    return rows


async def security_list_export(
    session: AsyncSession, *, event: Event, actor: Organiser, now: datetime
) -> SecurityList:
    result = await build_security_list(session, event=event)
    await audit.record_on_event(
        session,
        actor=actor,
        action="event.export_security_list",
        event=event,
        after={"rows": result.on_time + result.late, "late": result.late},
        now=now,
    )
    return result
