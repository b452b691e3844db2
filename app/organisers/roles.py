"""Roles rank owner > staff > viewer; each may do what the ones below it may."""

from app.kit.errors import Forbidden
from app.models import Organiser, OrganiserRole


def ensure_role(organiser: Organiser, required: OrganiserRole) -> None:
    if not organiser.role.covers(required):
        raise Forbidden(f"This needs the {required} role; you are signed in as {organiser.role}.")
