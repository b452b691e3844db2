"""The audit log: one row per organiser change, with the changed values before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pagination import KeysetPage, keyset_page
from app.models import AuditEntry, Event, Organiser

SYSTEM_ACTOR = "rsvp command"
# The registrant acting on their own registration (its erasure), by their manage link.
REGISTRANT_ACTOR = "registrant"


def changed_values(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, from each side."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


async def record(
    session: AsyncSession,
    *,
    actor: Organiser | None,
    action: str,
    target_type: str,
    target_id: object,
    event_id: int | None = None,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
    anonymous_actor: str = SYSTEM_ACTOR,
) -> AuditEntry:
    """Add an entry; `before` and `after` must be JSON-ready (see `as_json`).

    Without an organiser, `anonymous_actor` says who acted.
    """
    entry = AuditEntry(
        organiser_id=actor.id if actor else None,
        actor=actor.email if actor else anonymous_actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        event_id=event_id,
        before=before,
        after=after,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_on_event(
    session: AsyncSession,
    *,
    actor: Organiser | None,
    action: str,
    event: Event,
    before: dict[str, Any] | None = None,
    after: dict[str, Any],
    now: datetime,
) -> AuditEntry:
    """An entry whose target is an event (its slug, as organisers know it)."""
    return await record(
        session,
        actor=actor,
        action=action,
        target_type="event",
        target_id=event.slug,
        event_id=event.id,
        before=before or {},
        after=after,
        now=now,
    )


def as_json(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO 8601 text, enums as their values: what JSONB can hold."""
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    # str covers StrEnum members, which JSON stores as their values.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


async def entries_about(
    session: AsyncSession, *, target_type: str, target_id: object
) -> list[AuditEntry]:
    """Every entry about one thing (a registration's trail), oldest first: through the
    index on the target, so it costs the same however long the whole log grows."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
        .order_by(AuditEntry.id)
    )
    return list(await session.scalars(query))


async def list_audit_entries(
    session: AsyncSession, *, limit: int, cursor: str | None, event_id: int | None = None
) -> KeysetPage[AuditEntry]:
    """Newest first; only one event's entries when `event_id` is given."""
    query = select(AuditEntry)
    if event_id is not None:
        query = query.where(AuditEntry.event_id == event_id)
    return await keyset_page(
        session,
        query,
        # Entries are numbered as written; organiser changes rarely race, and the
        # log is read newest first.
        order=AuditEntry.id,
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
