"""The registrant's substitution, by their manage link's token."""

from typing import Annotated

from fastapi import APIRouter, Body, Path

from app.deps import ClockDep, RegistrantWrite, SessionDep, SettingsDep, SigningKeyDep
from app.kit.errors import COMMON, error_responses
from app.registrations.schemas import RegistrantRead
from app.substitutions import service
from app.substitutions.schemas import SubstituteCreate

router = APIRouter(prefix="/api", tags=["public"], responses=COMMON)


@router.post(
    "/registrations/{token}/substitute",
    status_code=201,
    response_model=RegistrantRead,
    responses=error_responses(
        e404="`invalid_token`",
        e409="`invalid_transition` (cancelled, declined, awaiting verification or checked "
        "in) or `already_registered` (the colleague's address is registered already)",
    ),
    dependencies=[RegistrantWrite],
)
async def substitute(
    token: Annotated[str, Path()],
    body: Annotated[SubstituteCreate, Body()],
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    key: SigningKeyDep,
) -> RegistrantRead:
    """Pass this registration's place to a colleague: this one is cancelled, the
    colleague's (answered here, with their own `manage_url`) takes its status and
    waitlist place; both are e-mailed."""
    result = await service.substitute(
        session, token=token, data=body, now=clock.now(), ticket_key=key
    )
    return RegistrantRead.build(
        result.substitute, token=result.manage_token, base_url=settings.base_url, ticket_key=key
    )
