"""The registrations table, a registration's page, and the organisers' actions on them.

Thin: filters and paging come from the API's own rules (`RegistrationFilters`,
keyset paging), every action is the API's (`transitions.apply_action`), with the
role the transition table gives it checked first, so a forged post is refused
(403) exactly as the API refuses it. Each action answers 303 back to the page it
was pressed on, with `done` naming it: that page then says what happened in a
`role=status` message. Decline and cancel cannot be undone: their buttons lead to
a page asking to confirm, whose form posts `confirm=yes`.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.dashboard.auth import PageOrganiser, require_page_role
from app.dashboard.csrf import CsrfProtected, csrf_token
from app.dashboard.paging import page_links
from app.dashboard.registrations import labels
from app.dashboard.registrations.actions import IRREVERSIBLE, offered
from app.dashboard.registrations.detail import registration_record
from app.dashboard.registrations.table import table_page
from app.dashboard.rendering import render_page, translations
from app.dashboard.routing import dashboard_router, here, see_other
from app.dashboard.when import moment_formatter
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.kit.errors import InvalidCursor, NotFound
from app.kit.text import full_name
from app.models import AffiliationType, Event, Organiser, Registration, RegistrationStatus
from app.registrations import admin as registration_admin
from app.registrations import transitions
from app.registrations.filters import RegistrationFilters
from app.registrations.transitions import Action, Stage, stage_of
from app.web import i18n
from app.web.forms import AFFILIATION_LABELS, countries
from app.web.rendering import page_language

router = dashboard_router()

# The filters the table's GET form sends, as the API's list names them.
_LIST_FILTERS = ("status", "affiliation_type", "country")
_FLAGS = ("has_un_grounds_pass", "checked_in")


def table_path(slug: str) -> str:
    return f"/admin/events/{slug}/registrations"


def registration_path(slug: str, registration_id: uuid.UUID) -> str:
    return f"{table_path(slug)}/{registration_id}"


def _filters_from(request: Request) -> dict[str, Any]:
    """The query's filters, as the form sends them: an empty choice means "any"."""
    query = request.query_params
    values: dict[str, Any] = {
        name: [v for v in query.getlist(name) if v] or None for name in _LIST_FILTERS
    }
    for flag in _FLAGS:
        values[flag] = {"yes": True, "no": False}.get(query.get(flag, ""))
    values["q"] = query.get("q") or None
    return values


def _back(slug: str, back: str | None, fallback: str) -> str:
    """Where an action returns: the page it was pressed on, if that is one of this
    event's registrations pages (never another site), without a previous result."""
    parts = urlsplit(back or "")
    if parts.scheme or parts.netloc or not parts.path.startswith(table_path(slug)):
        return fallback
    pairs = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"done", "who"}]
    return parts.path + (f"?{urlencode(pairs)}" if pairs else "")


async def _done_message(
    request: Request, session: SessionDep, event: Event
) -> tuple[Action, str] | None:
    """The result of the action just done (`done` and `who` in the query), if any."""
    try:
        action = Action(request.query_params.get("done", ""))
        who = uuid.UUID(request.query_params.get("who", ""))
        registration = await registration_admin.get_registration(
            session, event=event, registration_id=who
        )
    except (ValueError, NotFound):
        return None
    return action, full_name(registration)


@dataclass(frozen=True)
class Button:
    action: Action
    label: str
    href: str | None
    """For what cannot be undone: a link to the confirmation page (else a post form)."""


@dataclass(frozen=True)
class Row:
    """A registration as a row shows it, its words already in the page's language
    (50 rows of macros calling gettext cost more than the query)."""

    registration: Registration
    name: str
    stage: Stage
    stage_text: str
    buttons: list[Button]


class RowMaker:
    """Rows for one page: its language, its organiser's role, the address to come back to."""

    def __init__(self, request: Request, organiser: Organiser, slug: str, here: str) -> None:
        self.gettext = translations(page_language(request)).gettext
        self.role = organiser.role
        self.slug = slug
        self.back = urlencode({"back": here})
        self.action_labels = {a: self.gettext(text) for a, text in labels.ACTION_LABELS.items()}

    def stage_text(self, registration: Registration, stage: Stage) -> str:
        position = registration.known_waitlist_position
        if stage == Stage.waitlisted and position:
            return self.gettext(labels.WAITLIST_POSITION) % {"position": position}
        return self.gettext(labels.STAGE_LABELS[stage])

    def row(self, registration: Registration) -> Row:
        stage = stage_of(registration)
        path = registration_path(self.slug, registration.id)
        return Row(
            registration=registration,
            name=full_name(registration),
            stage=stage,
            stage_text=self.stage_text(registration, stage),
            buttons=[
                Button(
                    action,
                    self.action_labels[action],
                    f"{path}/{action}?{self.back}" if action in IRREVERSIBLE else None,
                )
                for action in offered(registration, self.role)
            ],
        )


@router.get("/admin/events/{slug}/registrations")
async def registrations_table(
    request: Request, slug: str, organiser: PageOrganiser, session: SessionDep
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    values = _filters_from(request)
    status_code, problem, page = 200, False, None
    try:
        filters = RegistrationFilters.model_validate(values)
        page = await table_page(
            session,
            event=event,
            filters=filters,
            after=request.query_params.get("after") or None,
            before=request.query_params.get("before") or None,
        )
    except (ValidationError, InvalidCursor):
        status_code, problem = 422, True
    lang = page_language(request)
    address = here(request)
    rows = RowMaker(request, organiser, slug, address)
    return render_page(
        request,
        "dashboard/registrations.html",
        {
            "event": event,
            "values": values,
            "problem": problem,
            "page": page,
            "rows": [rows.row(r) for r in page.rows] if page else [],
            **page_links(request, page),
            "here": address,
            "csrf_token": csrf_token(request),
            "done": await _done_message(request, session, event),
            "labels": labels,
            "statuses": list(RegistrationStatus),
            "affiliations": [(kind, AFFILIATION_LABELS[kind]) for kind in AffiliationType],
            "countries": countries(lang),
            "country_names": i18n.territory_names(lang),
        },
        status_code=status_code,
    )


@router.get("/admin/events/{slug}/registrations/{registration_id}")
async def registration_page(
    request: Request,
    slug: str,
    registration_id: uuid.UUID,
    organiser: PageOrganiser,
    session: SessionDep,
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    record = await registration_record(session, event=event, registration_id=registration_id)
    return render_page(
        request,
        "dashboard/registration.html",
        {
            "event": event,
            "record": record,
            "row": RowMaker(request, organiser, slug, here(request)).row(record.registration),
            "here": here(request),
            "csrf_token": csrf_token(request),
            "done": await _done_message(request, session, event),
            "labels": labels,
            "affiliation_label": AFFILIATION_LABELS[record.registration.affiliation_type],
            "moment": moment_formatter(event, page_language(request)),
            "country_names": i18n.territory_names(page_language(request)),
            "language_name": i18n.native_name(record.registration.language),
        },
    )


@router.get("/admin/events/{slug}/registrations/{registration_id}/{action}")
async def confirm_page(
    request: Request,
    slug: str,
    registration_id: uuid.UUID,
    action: Action,
    organiser: PageOrganiser,
    session: SessionDep,
) -> HTMLResponse:
    """The question before what cannot be undone (decline, cancel)."""
    if action not in IRREVERSIBLE:
        raise NotFound("Only declining and cancelling ask for a confirmation.")
    require_page_role(organiser, action)
    event = await events.get_event(session, slug)
    registration = await registration_admin.get_registration(
        session, event=event, registration_id=registration_id
    )
    question, meaning, yes = labels.CONFIRMATIONS[action]
    back = _back(slug, request.query_params.get("back"), registration_path(slug, registration_id))
    return render_page(
        request,
        "dashboard/confirm.html",
        {
            "event": event,
            "registration": registration,
            "name": full_name(registration),
            "action": action,
            "question": question,
            "meaning": meaning,
            "yes": yes,
            "back": back,
        },
    )


@router.post("/admin/events/{slug}/registrations/{registration_id}/{action}")
async def act(
    slug: str,
    registration_id: uuid.UUID,
    action: Action,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    back: Annotated[str | None, Form(max_length=2000)] = None,
    confirm: Annotated[str | None, Form(max_length=10)] = None,
) -> RedirectResponse:
    """The action, if the role allows it (else 403) and the stage (else 409)."""
    require_page_role(organiser, action)
    returning = _back(slug, back, registration_path(slug, registration_id))
    if action in IRREVERSIBLE and confirm != "yes":
        # Not confirmed yet: ask first.
        question = f"{registration_path(slug, registration_id)}/{action}"
        return see_other(f"{question}?{urlencode({'back': returning})}")
    await transitions.apply_action(
        session,
        event_slug=slug,
        registration_id=registration_id,
        action=action,
        actor=organiser,
        now=clock.now(),
    )
    separator = "&" if "?" in returning else "?"
    return see_other(
        f"{returning}{separator}{urlencode({'done': action.value, 'who': registration_id})}"
    )
