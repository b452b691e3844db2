"""Inviting from the dashboard: one person through a form, or a CSV file.

Both are the service's `create_invitations`, the API's all-or-nothing rules. A
bad field shows the form again with the message next to it (422, or 409 for an
e-mail already invited or registered, or seats that are not free).

The import is two steps and needs no script: the file (uploaded, or pasted as
text) is first checked with the service's dry run, which creates nothing; the
preview says how many rows are fine and lists every bad row (number, field,
problem). With no bad row it carries the file's text in a hidden field to a
confirm button that imports them all; with some, the text comes back in the
box to be fixed and checked again. The route's body limit is the API's import
limit (`MAX_IMPORT_BYTES`), checked on the file's own size too.
"""

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.auth import PageOrganiser
from app.dashboard.csrf import CsrfProtected
from app.dashboard.invitations import labels
from app.dashboard.invitations.forms import (
    BLANK,
    form_values,
    parse_invitation,
    refusal_errors,
    rows_in,
)
from app.dashboard.invitations.moves import CREATE_ROLE
from app.dashboard.invitations.pages import invitation_path, list_path
from app.dashboard.rendering import gettext, render_page
from app.dashboard.routing import dashboard_router, refusal, see_other
from app.deps import ClockDep, SessionDep, SettingsDep
from app.events import service as events
from app.invitations import service
from app.invitations.imports import CSV_COLUMNS, RowProblems, read_invitations
from app.kit.errors import AlreadyInvited, AlreadyRegistered, AppError
from app.models import AffiliationType, Event, Language, Organiser
from app.organisers.roles import ensure_role
from app.web import i18n
from app.web.forms import AFFILIATION_LABELS

router = dashboard_router()

# Where the import form posts: its body may be as large as the API's imports.
IMPORT_PAGE = re.compile(r"/admin/events/[^/]+/invitations/import")


def too_large_page(request: Request) -> Response | None:
    """The body limit's 413 for the import form, as a dashboard page (None elsewhere)."""
    if not IMPORT_PAGE.fullmatch(request.url.path):
        return None
    return refusal(request, status_code=413, code="payload_too_large", detail="")


async def _inviting(session: AsyncSession, slug: str, organiser: Organiser) -> Event:
    """The event, if the organiser may invite to it (else 403, before reading anything)."""
    ensure_role(organiser, CREATE_ROLE)
    return await events.get_event(session, slug)


def _new_form(
    request: Request,
    event: Event,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request,
        "dashboard/invitation_new.html",
        {
            "event": event,
            "values": values,
            "errors": errors,
            "affiliations": [
                (kind.value, gettext(request, AFFILIATION_LABELS[kind])) for kind in AffiliationType
            ],
            "language_names": [
                (lang.value, i18n.native_name(lang), lang.value) for lang in Language
            ],
        },
        status_code=status_code,
    )


@router.get("/admin/events/{slug}/invitations/new")
async def new_invitation_form(
    request: Request, slug: str, organiser: PageOrganiser, session: SessionDep
) -> HTMLResponse:
    return _new_form(request, await _inviting(session, slug, organiser), dict(BLANK), {})


@router.post("/admin/events/{slug}/invitations/new", response_model=None)
async def create_invitation(
    request: Request,
    slug: str,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
) -> HTMLResponse | RedirectResponse:
    event = await _inviting(session, slug, organiser)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    parsed = parse_invitation(form, event)
    if parsed.data is None:
        return _new_form(request, event, form_values(form), parsed.errors, status_code=422)
    try:
        made = await service.create_invitations(
            session, event_slug=slug, rows=[parsed.data], actor=organiser, now=clock.now()
        )
    except AppError as refused:
        errors = refusal_errors(refused)
        if errors is None:
            raise
        return _new_form(request, event, form_values(form), errors, status_code=refused.status_code)
    assert isinstance(made, list)
    return see_other(f"{invitation_path(slug, made[0].invitation.id)}?done=created")


@dataclass
class Preview:
    """What the dry run found: the rows that are fine, the bad ones, or why the file
    as a whole cannot be read (`problem`)."""

    text: str
    rows: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    """The service's reason, in English."""
    too_large: bool = False
    seats: int = 0

    @property
    def bad_rows(self) -> int:
        return len({row["row"] for row in self.bad})

    @property
    def fine(self) -> int:
        return max(self.rows - self.bad_rows, 0)


def _bad_rows(refused: AppError) -> list[dict[str, Any]]:
    """Every bad row the service named, as (row, field, problem)."""
    rows: list[dict[str, Any]] = refused.extra.get("rows", [])
    if isinstance(refused, AlreadyInvited | AlreadyRegistered):
        problem = (
            labels.ALREADY_INVITED
            if isinstance(refused, AlreadyInvited)
            else labels.ALREADY_REGISTERED
        )
        return [{"row": r["row"], "field": "email", "problem": problem, "ours": True} for r in rows]
    return [r | {"ours": False} for r in rows]


def _import_page(
    request: Request, event: Event, preview: Preview | None, *, status_code: int = 200
) -> HTMLResponse:
    return render_page(
        request,
        "dashboard/invitation_import.html",
        {"event": event, "preview": preview, "columns": CSV_COLUMNS, "labels": labels},
        status_code=status_code,
    )


@router.get("/admin/events/{slug}/invitations/import")
async def import_form(
    request: Request, slug: str, organiser: PageOrganiser, session: SessionDep
) -> HTMLResponse:
    return _import_page(request, await _inviting(session, slug, organiser), None)


async def _read(csv_file: UploadFile | None, csv_text: str, limit: int) -> bytes | None:
    """The upload if one was chosen, else the pasted text; None when too large."""
    if csv_file is not None and csv_file.filename:
        if csv_file.size is not None and csv_file.size > limit:
            return None
        data = await csv_file.read(limit + 1)
        return data if len(data) <= limit else None
    data = csv_text.replace("\r\n", "\n").encode()
    return data if len(data) <= limit else None


@router.post("/admin/events/{slug}/invitations/import", response_model=None)
async def import_invitations(
    request: Request,
    slug: str,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    csv_file: Annotated[UploadFile | None, File()] = None,
    csv_text: Annotated[str, Form()] = "",
    confirm: Annotated[str | None, Form(max_length=10)] = None,
) -> HTMLResponse | RedirectResponse:
    """Check (a dry run) unless `confirm=yes`; then import, all or nothing."""
    event = await _inviting(session, slug, organiser)
    data = await _read(csv_file, csv_text, settings.max_import_bytes)
    if data is None:
        preview = Preview(text="", too_large=True)
        return _import_page(request, event, preview, status_code=413)
    text = data.decode("utf-8-sig", errors="replace")
    preview = Preview(text=text, rows=rows_in(data))
    dry_run = confirm != "yes"
    try:
        listed = read_invitations("text/csv", data)
        made = await service.create_invitations(
            session,
            event_slug=slug,
            rows=listed.rows,
            actor=organiser,
            now=clock.now(),
            dry_run=dry_run,
            first_row=listed.first_row,
        )
    except (RowProblems, AlreadyInvited, AlreadyRegistered) as refused:
        preview.bad = _bad_rows(refused)
        return _import_page(request, event, preview, status_code=refused.status_code)
    except AppError as refused:
        # The file as a whole (its header, its size, the event's seats or state).
        if refused.status_code not in {409, 422}:
            raise
        preview.problem = refused.detail
        return _import_page(request, event, preview, status_code=refused.status_code)
    if isinstance(made, int):
        preview.seats = made
        return _import_page(request, event, preview)
    return see_other(f"{list_path(slug)}?done=imported")
