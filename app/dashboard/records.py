"""An event's exports (the attendee CSV with a choice of columns, the security list)
and its audit log, paged newest first, as pages under the session.

The downloads are the API's (`app.exports.downloads`): the same file, recorded in
the audit log the same way; only the way in differs (the session, not a token).
"""

import json
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from app.audit.service import list_audit_entries
from app.dashboard.auth import PageOrganiser
from app.dashboard.overview.figures import STATUS_LABELS
from app.dashboard.rendering import render_page
from app.dashboard.routing import dashboard_router
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.exports.attendees_csv import COLUMNS, CsvDialect, UnknownColumns, parse_columns
from app.exports.downloads import CsvChoice, csv_download, security_list_download
from app.kit.pagination import Cursor
from app.models import AuditEntry, Event
from app.registrations.admin_router import registration_filters
from app.registrations.filters import RegistrationFilters
from app.web import i18n
from app.web.i18n import N_
from app.web.rendering import page_language

router = dashboard_router()

AUDIT_PAGE_SIZE = 50
COLUMN_LABELS: dict[str, str] = {
    "id": N_("Registration number"),
    "event_slug": N_("Event address"),
    "email": N_("E-mail address"),
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "organisation": N_("Organisation"),
    "job_title": N_("Job title"),
    "affiliation_type": N_("Type of organisation"),
    "country": N_("Country"),
    "language": N_("Language"),
    "has_un_grounds_pass": N_("UN grounds pass"),
    "accessibility_needs": N_("Accessibility needs"),
    "status": N_("Status"),
    "waitlist_position": N_("Waitlist position"),
    "checked_in_at": N_("Checked in at"),
    "created_at": N_("Signed up at"),
    "updated_at": N_("Last changed at"),
    "invitation_id": N_("Invitation"),
    "companion_of": N_("Companion of"),
    "substitute_for": N_("Substitute for"),
    "offer_expires_at": N_("Offer held until"),
}
assert set(COLUMN_LABELS) == set(COLUMNS), "a new CSV column needs its label here"


def _chosen_columns(columns: Annotated[list[str], Query(max_length=40)] = []) -> list[str]:  # noqa: B006
    """The ticked boxes, in the file's order; none ticked means every column."""
    try:
        return parse_columns(",".join(columns))
    except UnknownColumns as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "columns"), "msg": str(exc)}]
        ) from exc


@router.get("/admin/events/{slug}/exports", response_class=HTMLResponse)
async def exports_page(
    slug: str, _: PageOrganiser, request: Request, session: SessionDep
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    return render_page(
        request,
        "dashboard/exports.html",
        {
            "event": event,
            "section": "exports",
            "columns": list(COLUMN_LABELS.items()),
            "statuses": list(STATUS_LABELS.items()),
            "dialects": [
                (CsvDialect.excel, N_("For Excel (UTF-8 with a byte-order mark)")),
                (CsvDialect.rfc4180, N_("Plain CSV (RFC 4180, no byte-order mark)")),
            ],
        },
    )


@router.get("/admin/events/{slug}/exports/registrations.csv", response_model=None)
async def registrations_csv(
    slug: str,
    organiser: PageOrganiser,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    filters: Annotated[RegistrationFilters, Depends(registration_filters)],
    columns: Annotated[list[str], Depends(_chosen_columns)],
    dialect: CsvDialect = CsvDialect.excel,
) -> StreamingResponse:
    choice = CsvChoice(filters, columns, dialect)
    return await csv_download(request, session, clock, slug, organiser, choice)


@router.get("/admin/events/{slug}/exports/security-list.xlsx", response_model=None)
async def security_list(
    slug: str, organiser: PageOrganiser, session: SessionDep, clock: ClockDep
) -> Response:
    return await security_list_download(session, clock, slug, organiser)


def _changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) of an entry, values as compact JSON."""
    names = sorted(set(entry.before) | set(entry.after))

    def shown(values: dict[str, Any], name: str) -> str:
        if name not in values:
            return ""
        return json.dumps(values[name], ensure_ascii=False, separators=(", ", ": "))

    return [(name, shown(entry.before, name), shown(entry.after, name)) for name in names]


def _audit_rows(entries: list[AuditEntry], event: Event, request: Request) -> list[dict[str, Any]]:
    where = i18n.locale(page_language(request))
    zone = ZoneInfo(event.timezone)
    return [
        {
            "when": format_datetime(entry.created_at.astimezone(zone), "medium", locale=where),
            "actor": entry.actor,
            "action": entry.action,
            "target": f"{entry.target_type} {entry.target_id}",
            "changes": _changes(entry),
        }
        for entry in entries
    ]


@router.get("/admin/events/{slug}/audit", response_class=HTMLResponse)
async def audit_page(
    slug: str, _: PageOrganiser, request: Request, session: SessionDep, cursor: Cursor = None
) -> HTMLResponse:
    """The event's audit entries, newest first, 50 a page (keyset: `cursor`)."""
    event = await events.get_event(session, slug)
    page = await list_audit_entries(
        session, limit=AUDIT_PAGE_SIZE, cursor=cursor, event_id=event.id
    )
    return render_page(
        request,
        "dashboard/audit.html",
        {
            "event": event,
            "section": "audit",
            "rows": _audit_rows(page.items, event, request),
            "total": page.total,
            "next_cursor": page.next_cursor,
            "first_page": cursor is not None,
        },
    )
