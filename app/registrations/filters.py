"""The organisers' registration filters, shared by the registration list and the CSV
export. Stats and the security list take no filters: they choose their own rows."""

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import ARRAY, ColumnElement, Select, Text, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.kit.fields import CountryCode
from app.kit.pagination import KeysetPage, keyset_page
from app.kit.text import clean_line, fold
from app.models import (
    AffiliationType,
    Event,
    EventCounters,
    Registration,
    RegistrationStatus,
)
from app.models.event_counters import COUNTED_STATUSES
from app.models.waitlist import load_positions

RegistrationQuery = Select[Registration]
# Any select over the registrations table: the ORM list, or the export's plain columns.
AnySelect = TypeVar("AnySelect", bound=Select[Any])


class RegistrationFilters(BaseModel):
    """Query-string filters; each one given narrows the result (they combine with AND)."""

    model_config = ConfigDict(extra="forbid")

    status: list[RegistrationStatus] | None = None
    affiliation_type: list[AffiliationType] | None = None
    country: list[CountryCode] | None = None
    has_un_grounds_pass: bool | None = None
    checked_in: bool | None = None
    q: Annotated[str, AfterValidator(clean_line)] | None = Field(
        default=None,
        max_length=200,
        description="Words found in name, e-mail or organisation; case and accents ignored.",
    )


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


TRIGRAM = 3


def trigrams(word: str) -> list[str]:
    """The word's distinct three-character pieces, as the SQL `search_trigrams` cuts them
    (none for a word shorter than three)."""
    return sorted({word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)})


def _contains(word: str) -> ColumnElement[bool]:
    """The folded search text contains `word`: the trigram index narrows the rows to
    those with all of the word's trigrams, the LIKE decides (a short word: LIKE alone)."""
    like = Registration.search_text.like(f"%{like_escape(word)}%", escape="\\")
    pieces = trigrams(word)
    if not pieces:
        return like
    indexed = func.search_trigrams(Registration.search_text).op("@>")(cast(pieces, ARRAY(Text())))
    return and_(indexed, like)


def apply_filters(query: AnySelect, filters: RegistrationFilters) -> AnySelect:
    """Without a `status` filter, sign-ups still awaiting e-mail verification are left out:
    nobody has confirmed them yet (ask for `pending_verification` to see them)."""
    if filters.status:
        query = query.where(Registration.status.in_(filters.status))
    else:
        query = query.where(Registration.status != RegistrationStatus.pending_verification)
    if filters.affiliation_type:
        query = query.where(Registration.affiliation_type.in_(filters.affiliation_type))
    if filters.country:
        query = query.where(Registration.country.in_(filters.country))
    if filters.has_un_grounds_pass is not None:
        query = query.where(Registration.has_un_grounds_pass.is_(filters.has_un_grounds_pass))
    if filters.checked_in is not None:
        checked = Registration.checked_in_at.is_not(None)
        query = query.where(checked if filters.checked_in else ~checked)
    for word in fold(filters.q or "").split():
        query = query.where(_contains(word))
    return query


def filtered_registrations(event: Event, filters: RegistrationFilters) -> RegistrationQuery:
    """The event's registrations matching `filters`, in sign-up order, without the
    event's columns on every row (`with_event` gives the rows their event)."""
    query = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.signup_seq)
    )
    return apply_filters(query, filters)


async def count_matching(session: AsyncSession, event: Event, filters: RegistrationFilters) -> int:
    """How many of the event's registrations match: from the event's counters when the
    filters are statuses only, or none (the list's usual pages), else one count over
    the rows (through the indexes the filters allow). The counters leave out sign-ups
    awaiting verification, so asking for those counts the rows."""
    statuses = set(filters.status or COUNTED_STATUSES)
    uncounted = RegistrationStatus.pending_verification in (filters.status or [])
    if not uncounted and not filters.model_dump(exclude={"status"}, exclude_none=True):
        counters = await session.get_one(EventCounters, event.id, populate_existing=True)
        return sum(getattr(counters, status.value) for status in statuses)
    query = apply_filters(select(Registration.id).where(Registration.event_id == event.id), filters)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


def with_event(registrations: list[Registration], event: Event) -> list[Registration]:
    """`registrations` (of `event`), each given `event` as loaded: joining the event's
    wide row to every row read it again fifty times a page."""
    for registration in registrations:
        set_committed_value(registration, "event", event)
    return registrations


async def matching_page(
    session: AsyncSession,
    event: Event,
    filters: RegistrationFilters,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> KeysetPage[Registration]:
    """A page of the registrations matching `filters` (after `cursor`, in sign-up
    order or newest first), with their waitlist positions and the exact total.

    A search's first page counts its matches in the page's own statement: finding
    the page reads every match anyway (the trigram index's bitmap, then a sort).
    """
    count_with_page = bool(filters.q) and cursor is None
    page = await keyset_page(
        session,
        filtered_registrations(event, filters),
        order=Registration.signup_seq,
        limit=limit,
        cursor=cursor,
        newest_first=newest_first,
        total=None if count_with_page else await count_matching(session, event, filters),
        count_with_page=count_with_page,
    )
    await load_positions(session, with_event(page.items, event))
    return page
