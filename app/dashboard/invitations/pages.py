"""The invitations list, one invitation's page, and the organisers' actions on it.

Thin: the list is the API's (`reads.listed_invitations`, keyset paging both
ways), every action the service's (`resend`, `revoke`, `extend`), with the role
the transition table gives it checked first, so a forged post is refused (403)
exactly as the API refuses it. An action answers 303 back to the invitation's
page with `done` naming it, which the page then says in a `role=status`
message; a move its status does not allow, or a deadline that is not in the
future, shows the page again with the reason (409, 422). Withdrawing cannot be
undone: its button leads to a page asking to confirm, whose form posts `confirm=yes`.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.dashboard.auth import PageOrganiser
from app.dashboard.csrf import CsrfProtected
from app.dashboard.invitations import labels
from app.dashboard.invitations.forms import as_local_input, local_deadline, refusal_errors
from app.dashboard.invitations.moves import CREATE_ROLE, offered, require_move
from app.dashboard.paging import PAGE_SIZE, page_links, two_way_page
from app.dashboard.registrations.labels import DELIVERY_LABELS
from app.dashboard.rendering import render_page
from app.dashboard.routing import dashboard_router, see_other
from app.dashboard.when import moment_formatter
from app.deps import ClockDep, SessionDep
from app.events import service as events
from app.invitations import reads, service
from app.invitations.transitions import Move
from app.kit.errors import AppError, InvalidChange, InvalidCursor, InvalidTransition
from app.kit.pagination import KeysetPage, keyset_page
from app.kit.text import full_name
from app.models import Event, Invitation, InvitationStatus, Organiser
from app.web import i18n
from app.web.forms import AFFILIATION_LABELS
from app.web.rendering import page_language

router = dashboard_router()


def list_path(slug: str) -> str:
    return f"/admin/events/{slug}/invitations"


def invitation_path(slug: str, invitation_id: uuid.UUID) -> str:
    return f"{list_path(slug)}/{invitation_id}"


def _statuses(request: Request) -> list[InvitationStatus] | None:
    """The status filter (any, when none is ticked); ValueError for an unknown one."""
    return [InvitationStatus(v) for v in request.query_params.getlist("status") if v] or None


@router.get("/admin/events/{slug}/invitations")
async def invitations_list(
    request: Request, slug: str, organiser: PageOrganiser, session: SessionDep
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    q = request.query_params.get("q", "")
    status_code, page = 200, None
    try:
        if len(q) > 200:
            raise ValueError(q)
        listed = reads.listed_invitations(event, _statuses(request), q)

        async def fetch(cursor: str | None, newest_first: bool) -> KeysetPage[Invitation]:
            return await keyset_page(
                session,
                listed,
                order=Invitation.seq,
                limit=PAGE_SIZE,
                cursor=cursor,
                newest_first=newest_first,
            )

        page = await two_way_page(
            fetch,
            order_key="seq",
            after=request.query_params.get("after") or None,
            before=request.query_params.get("before") or None,
        )
    except (ValueError, InvalidCursor):
        status_code = 422
    return render_page(
        request,
        "dashboard/invitations.html",
        {
            "event": event,
            "q": q,
            "chosen": request.query_params.getlist("status"),
            "page": page,
            **page_links(request, page),
            "full_name": full_name,
            "may_create": organiser.role.covers(CREATE_ROLE),
            "done": request.query_params.get("done") == "imported",
            "labels": labels,
            "moment": moment_formatter(event, page_language(request)),
        },
        status_code=status_code,
    )


async def _invitation_page(
    request: Request,
    session: SessionDep,
    *,
    event: Event,
    invitation: Invitation,
    organiser: Organiser,
    problem: str | None = None,
    extend_values: dict[str, str] | None = None,
    extend_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    done = request.query_params.get("done")
    return render_page(
        request,
        "dashboard/invitation.html",
        {
            "event": event,
            "invitation": invitation,
            "name": full_name(invitation),
            "emails": await reads.email_history(session, invitation.id),
            "moves": offered(invitation, organiser.role),
            "done": done if done in labels.DONE_MESSAGES else None,
            "problem": problem,
            "extend_errors": extend_errors or {},
            "extend_values": extend_values
            or {"respond_by": as_local_input(invitation.respond_by, event)},
            "labels": labels,
            "delivery_labels": DELIVERY_LABELS,
            "Move": Move,
            "affiliation_label": AFFILIATION_LABELS.get(invitation.affiliation_type)
            if invitation.affiliation_type
            else None,
            "language_name": i18n.native_name(invitation.language),
            "moment": moment_formatter(event, lang),
        },
        status_code=status_code,
    )


@router.get("/admin/events/{slug}/invitations/{invitation_id}")
async def invitation_page(
    request: Request,
    slug: str,
    invitation_id: uuid.UUID,
    organiser: PageOrganiser,
    session: SessionDep,
) -> HTMLResponse:
    event = await events.get_event(session, slug)
    invitation = await service.by_id(session, event, invitation_id)
    return await _invitation_page(
        request, session, event=event, invitation=invitation, organiser=organiser
    )


@router.get("/admin/events/{slug}/invitations/{invitation_id}/revoke")
async def revoke_question(
    request: Request,
    slug: str,
    invitation_id: uuid.UUID,
    organiser: PageOrganiser,
    session: SessionDep,
) -> HTMLResponse:
    """The question before what cannot be undone."""
    require_move(organiser, Move.revoke)
    event = await events.get_event(session, slug)
    invitation = await service.by_id(session, event, invitation_id)
    return render_page(
        request,
        "dashboard/invitation_revoke.html",
        {"event": event, "invitation": invitation, "name": full_name(invitation), "labels": labels},
    )


async def _do(
    move: Move,
    session: SessionDep,
    *,
    event: Event,
    invitation_id: uuid.UUID,
    organiser: Organiser,
    respond_by: str,
    now: datetime,
) -> None:
    if move == Move.resend:
        await service.resend(
            session, event_slug=event.slug, invitation_id=invitation_id, actor=organiser, now=now
        )
    elif move == Move.revoke:
        await service.revoke(
            session, event_slug=event.slug, invitation_id=invitation_id, actor=organiser, now=now
        )
    else:
        deadline = local_deadline(respond_by, event)
        if deadline is None:
            raise InvalidChange("respond_by must be a date and time.")
        await service.extend(
            session,
            event_slug=event.slug,
            invitation_id=invitation_id,
            respond_by=deadline,
            actor=organiser,
            now=now,
        )


def _refusal_shown(refused: AppError, respond_by: str) -> dict[str, Any] | None:
    """How the invitation's page shows a refused move: a deadline not in the future
    next to its field, a status that does not allow it or a seat or person conflict
    in the summary (None: not one the page shows; it goes to the refusal page)."""
    if isinstance(refused, InvalidChange):
        message = labels.FIELD_MESSAGES["respond_by"][1]
        return {
            "extend_values": {"respond_by": respond_by},
            "extend_errors": {"respond_by": message},
        }
    if isinstance(refused, InvalidTransition):
        return {"problem": labels.NOT_NOW}
    messages = refusal_errors(refused)
    return {"problem": next(iter(messages.values()))} if messages else None


@router.post("/admin/events/{slug}/invitations/{invitation_id}/{move}", response_model=None)
async def act(
    request: Request,
    slug: str,
    invitation_id: uuid.UUID,
    move: Move,
    organiser: PageOrganiser,
    _: CsrfProtected,
    session: SessionDep,
    clock: ClockDep,
    confirm: Annotated[str | None, Form(max_length=10)] = None,
    respond_by: Annotated[str, Form(max_length=40)] = "",
) -> RedirectResponse | HTMLResponse:
    """The move, if the role allows it (else 403) and the status (else the page says why)."""
    require_move(organiser, move)
    path = invitation_path(slug, invitation_id)
    if move == Move.revoke and confirm != "yes":
        return see_other(f"{path}/revoke")
    event = await events.get_event(session, slug)
    try:
        await _do(
            move,
            session,
            event=event,
            invitation_id=invitation_id,
            organiser=organiser,
            respond_by=respond_by,
            now=clock.now(),
        )
    except AppError as refused:
        shown = _refusal_shown(refused, respond_by)
        if shown is None:
            raise
        invitation = await service.by_id(session, event, invitation_id)
        return await _invitation_page(
            request,
            session,
            event=event,
            invitation=invitation,
            organiser=organiser,
            status_code=refused.status_code,
            **shown,
        )
    return see_other(f"{path}?done={move.value}")
