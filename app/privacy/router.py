"""The registrant's own address and data, through their manage token: confirming the
address (double opt-in), downloading everything held, having it erased."""

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app.deps import ClockDep, RegistrantWrite, SessionDep, SettingsDep, SigningKeyDep
from app.kit.errors import COMMON, error_responses
from app.privacy import data, verification
from app.privacy.schemas import RegistrantData
from app.registrations import service as registrations
from app.registrations.schemas import RegistrantRead

router = APIRouter(prefix="/api", tags=["public"], responses=COMMON)

# Any text: a token that cannot exist is answered like an unknown one (404 invalid_token).
Token = Annotated[str, Path()]

_NOT_FOUND = error_responses(e404="`invalid_token`: no registration has this token")
_REFUSED = error_responses(
    e409="`invalid_transition` (already verified), `verification_expired`, `event_full`, "
    "`registration_closed`, `already_registered` or `org_limit_reached`"
)


@router.post(
    "/registrations/{token}/verify",
    response_model=RegistrantRead,
    responses=_NOT_FOUND | _REFUSED,
    dependencies=[RegistrantWrite],
)
async def verify_own_registration(
    token: Token, session: SessionDep, clock: ClockDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantRead:
    """Confirm the address of a sign-up pending verification: it takes its place as a
    sign-up would (409 `event_full` when none is left; `verification_expired` after
    24 hours) and gets the usual confirmation e-mail."""
    registration = await verification.verify(session, token=token, now=clock.now())
    return RegistrantRead.build(
        registration, token=token, base_url=settings.base_url, ticket_key=key
    )


@router.get("/registrations/{token}/data", response_model=RegistrantData, responses=_NOT_FOUND)
async def own_data(
    token: Token, session: SessionDep, settings: SettingsDep, key: SigningKeyDep
) -> RegistrantData:
    """Everything held about the registrant: the record, the consent, e-mails, audit entries."""
    registration = await registrations.get_by_token(session, token)
    held = await data.held_data(session, registration)
    return RegistrantData.model_validate(
        {
            "registration": RegistrantRead.build(
                registration, token=token, base_url=settings.base_url, ticket_key=key
            ),
            "consent": {
                "version": registration.consent_version,
                "given_at": registration.consented_at,
            },
            **held,
        }
    )


@router.post(
    "/registrations/{token}/erase",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
    dependencies=[RegistrantWrite],
)
async def erase_own_data(token: Token, session: SessionDep, clock: ClockDep) -> Response:
    """Free the place as a cancellation does, then remove the personal data; the link
    stops working (404 `invalid_token`)."""
    await data.erase(session, token=token, now=clock.now())
    return Response(status_code=204)
