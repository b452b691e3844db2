"""The public API: an event's public view, signing up, and the registrant's own record."""

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse, Response

from app.config import Settings
from app.deps import (
    ClockDep,
    RegistrantWrite,
    SessionDep,
    SettingsDep,
    SigningKeyDep,
    SignupWrite,
)
from app.events import service as events
from app.events.schemas import EventRead
from app.kit.errors import COMMON, AlreadyRegistered, NotFound, error_body, error_responses
from app.mail.calendar import build_calendar, standing_method
from app.mail.compose import printable_ticket
from app.models import Registration, RegistrationStatus
from app.registrations import offers
from app.registrations import service as registrations
from app.registrations.offers import Lapsed
from app.registrations.schemas import (
    AwaitingVerificationRead,
    RegistrantRead,
    RegistrationCreate,
    RegistrationUpdate,
)
from app.registrations.service import AwaitingVerification, Duplicate
from app.tickets.code import ticket_code
from app.tickets.qr import qr_svg

router = APIRouter(prefix="/api", tags=["public"], responses=COMMON)

# Any text: an address or token that cannot exist is answered like an unknown one (404).
Slug = Annotated[str, Path()]
Token = Annotated[str, Path()]

_ERRORS = error_responses(
    e404="`not_found` (unknown event) or `invalid_token`",
    e409="`registration_closed`, `event_full`, `already_registered`, `org_limit_reached` "
    "or `invalid_transition`",
)


@router.get("/events/{slug}", response_model=EventRead, responses=_ERRORS)
async def read_event(slug: Slug, session: SessionDep, clock: ClockDep) -> EventRead:
    event = await events.get_event(session, slug)
    return await events.read_event(session, event, clock.now())


@router.post(
    "/events/{slug}/registrations",
    status_code=201,
    response_model=RegistrantRead,
    responses={
        202: {
            "model": AwaitingVerificationRead,
            "description": "Pending verification: the link e-mailed to the address confirms it",
        },
        **_ERRORS,
    },
    dependencies=[SignupWrite],
)
async def sign_up(
    slug: Slug,
    body: RegistrationCreate,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    key: SigningKeyDep,
) -> RegistrantRead | JSONResponse:
    result = await registrations.register(
        session, event_slug=slug, data=body, now=clock.now(), ticket_key=key
    )
    if isinstance(result, Duplicate):
        # Answered, not raised: whatever the service recorded for the duplicate
        # (the manage link sent again) must be committed.
        again = result.resend_after
        error = AlreadyRegistered(
            "This e-mail address is already registered for this event. "
            + (
                "We have e-mailed the link to your registration again."
                if again is None
                else "The link to your registration was e-mailed a few minutes ago, so it was "
                f"not sent again; it can be asked for again from {again.astimezone(UTC):%H:%M} UTC."
            )
        )
        return JSONResponse(error_body(error.detail, error.code), status_code=error.status_code)
    if isinstance(result, AwaitingVerification):
        registration = result.registration
        pending = AwaitingVerificationRead(
            id=registration.id,
            event_slug=registration.event_slug,
            status=registration.status,
            verification_expires_at=registrations.verification_lapses_at(registration),
        )
        return JSONResponse(pending.model_dump(mode="json"), status_code=202)
    return RegistrantRead.build(
        result.registration, token=result.manage_token, base_url=settings.base_url, ticket_key=key
    )


@router.get("/registrations/{token}", response_model=RegistrantRead, responses=_ERRORS)
async def read_own_registration(
    token: Token, session: SessionDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantRead:
    registration = await registrations.get_by_token(session, token)
    return RegistrantRead.build(
        registration,
        token=token,
        base_url=settings.base_url,
        ticket_key=key,
        companions=await registrations.companions_of(session, registration),
    )


@router.patch(
    "/registrations/{token}",
    response_model=RegistrantRead,
    responses=_ERRORS,
    dependencies=[RegistrantWrite],
)
async def edit_own_registration(
    token: Token,
    body: Annotated[RegistrationUpdate, Body()],
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    key: SigningKeyDep,
) -> RegistrantRead:
    registration = await registrations.update_registration(
        session, token=token, changes=body, now=clock.now()
    )
    return RegistrantRead.build(
        registration, token=token, base_url=settings.base_url, ticket_key=key
    )


@router.post(
    "/registrations/{token}/cancel",
    response_model=RegistrantRead,
    responses=_ERRORS,
    dependencies=[RegistrantWrite],
)
async def cancel_own_registration(
    token: Token, session: SessionDep, clock: ClockDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantRead:
    registration = await registrations.cancel_by_token(session, token=token, now=clock.now())
    return RegistrantRead.build(
        registration,
        token=token,
        base_url=settings.base_url,
        ticket_key=key,
        companions=await registrations.companions_of(session, registration),
    )


_OFFER_ERRORS = error_responses(
    e404="`invalid_token`",
    e409="`offer_expired` (the next person is offered the seat) or `invalid_transition` "
    "(no seat is offered to this registration)",
)


def _offer_answer(
    answered: Registration | Lapsed, *, token: str, settings: Settings, key: str
) -> RegistrantRead | JSONResponse:
    if isinstance(answered, Lapsed):
        # Answered, not raised: the lapse recorded (and the seat passed on) is committed.
        error = answered.error()
        return JSONResponse(error_body(error.detail, error.code), status_code=error.status_code)
    return RegistrantRead.build(answered, token=token, base_url=settings.base_url, ticket_key=key)


@router.post(
    "/registrations/{token}/accept-offer",
    response_model=RegistrantRead,
    responses=_OFFER_ERRORS,
    dependencies=[RegistrantWrite],
)
async def accept_offer(
    token: Token, session: SessionDep, clock: ClockDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantRead | JSONResponse:
    """Take the seat offered from the waitlist (before `offer_expires_at`): confirmed."""
    answered = await offers.accept_offer(session, token=token, now=clock.now())
    return _offer_answer(answered, token=token, settings=settings, key=key)


@router.post(
    "/registrations/{token}/decline-offer",
    response_model=RegistrantRead,
    responses=_OFFER_ERRORS,
    dependencies=[RegistrantWrite],
)
async def decline_offer(
    token: Token, session: SessionDep, clock: ClockDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantRead | JSONResponse:
    """Turn the offered seat down: the registration ends and the next person is offered it."""
    answered = await offers.decline_offer(session, token=token, now=clock.now())
    return _offer_answer(answered, token=token, settings=settings, key=key)


@router.get(
    "/registrations/{token}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **_ERRORS},
)
async def calendar_file(
    token: Token, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    registration = await registrations.get_by_token(session, token)
    body = build_calendar(
        event=registration.event,
        registration=registration,
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        manage_url=f"{settings.base_url}/r/{token}",
        now=clock.now(),
        method=standing_method(registration),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{registration.event.slug}.ics"'},
    )


async def _ticket_holder(session: SessionDep, token: str) -> Registration:
    registration = await registrations.get_by_token(session, token)
    if registration.status != RegistrationStatus.confirmed:
        raise NotFound("A ticket is issued only once the registration is confirmed.")
    return registration


@router.get(
    "/registrations/{token}/ticket.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **_ERRORS},
)
async def ticket_svg(token: Token, session: SessionDep, key: SigningKeyDep) -> Response:
    registration = await _ticket_holder(session, token)
    svg = qr_svg(ticket_code(registration.id, key), title=f"Ticket: {registration.event.title}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get(
    "/registrations/{token}/ticket.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_ERRORS},
)
async def ticket_pdf_file(token: Token, session: SessionDep, key: SigningKeyDep) -> Response:
    """The printable ticket, as attached to the confirmation e-mail."""
    registration = await _ticket_holder(session, token)
    return Response(
        printable_ticket(registration, ticket_code(registration.id, key)),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="ticket-{registration.event.slug}.pdf"',
            "Cache-Control": "no-store",
        },
    )
