"""Invitations: a subpackage, as `app/models` holds its ten modules already."""

from app.models.invitations.invitation import (
    ANSWERABLE_SQL,
    Access,
    Invitation,
    InvitationStatus,
)

__all__ = ["ANSWERABLE_SQL", "Access", "Invitation", "InvitationStatus"]
