"""Which of the organisers' actions a registration offers to whom: read off the one
transition table (`app.registrations.transitions.TRANSITIONS`), never restated."""

from app.models import OrganiserRole, Registration
from app.registrations.transitions import TRANSITIONS, Action, stage_of

# What cannot be taken back by another action: these ask "are you sure?" first.
IRREVERSIBLE = frozenset({Action.decline, Action.cancel})


def offered(registration: Registration, role: OrganiserRole) -> list[Action]:
    """The actions legal from the registration's stage that `role` may take, in the
    table's order: a viewer is offered none, staff only the check-in and its undo."""
    stage = stage_of(registration)
    return [
        action
        for action, rule in TRANSITIONS.items()
        if stage in rule.allowed_from and role.covers(rule.role)
    ]
