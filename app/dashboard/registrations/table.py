"""The registrations table: one page of the organisers' filtered list, either way.

The API's list pages forwards only (`next_cursor`); the table also goes back. A
page read backwards is the same keyset query newest first from its first row,
turned round, so both directions cost one index range scan whatever the page.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pagination import encode_cursor
from app.models import Event, Registration
from app.registrations.filters import RegistrationFilters, matching_page

PAGE_SIZE = 50


@dataclass(frozen=True)
class TablePage:
    rows: list[Registration]
    total: int
    next_cursor: str | None
    """Pass as `after` for the page that follows; None on the last page."""
    previous_cursor: str | None
    """Pass as `before` for the page that comes before; None on the first page."""


async def table_page(
    session: AsyncSession,
    *,
    event: Event,
    filters: RegistrationFilters,
    after: str | None = None,
    before: str | None = None,
    limit: int = PAGE_SIZE,
) -> TablePage:
    """The rows after `after`, or else before `before`, or else the first ones,
    in sign-up order, with the total the filters match over all pages."""
    backwards = after is None and before is not None
    page = await matching_page(
        session,
        event,
        filters,
        limit=limit,
        cursor=before if backwards else after,
        newest_first=backwards,
    )
    rows = list(reversed(page.items)) if backwards else page.items
    if not rows:
        return TablePage(rows=[], total=page.total, next_cursor=None, previous_cursor=None)
    first, last = encode_cursor(rows[0].signup_seq), encode_cursor(rows[-1].signup_seq)
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
