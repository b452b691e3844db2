"""What a substitution accepts: the sign-up body of the colleague taking the place."""

from pydantic import Field

from app.kit.fields import Organisation
from app.registrations.schemas import RegistrationCreate


class SubstituteCreate(RegistrationCreate):
    """The substitute's sign-up body. The place belongs to the organisation, so the
    original registration's organisation is kept: one sent here is ignored."""

    organisation: Organisation | None = Field(  # type: ignore[assignment]
        default=None, description="Ignored: the substitute keeps the original's organisation."
    )

    def for_organisation(self, organisation: str) -> RegistrationCreate:
        """The sign-up this makes for the original's organisation."""
        return RegistrationCreate.model_validate(self.model_dump() | {"organisation": organisation})
