"""Which of the organisers' actions an invitation offers to whom: read off the one
transition table (`app.invitations.transitions.TRANSITIONS`), never restated."""

from app.invitations.transitions import TRANSITIONS, Actor, Move
from app.kit.errors import NotFound
from app.models import Invitation, Organiser, OrganiserRole
from app.organisers.roles import ensure_role

ORGANISER_MOVES = tuple(move for move, rule in TRANSITIONS.items() if rule.actor == Actor.organiser)
# Inviting (one person or a list) is an owner's, as in the API.
CREATE_ROLE = OrganiserRole.owner


def _role(move: Move) -> OrganiserRole:
    return TRANSITIONS[move].role or OrganiserRole.owner


def offered(invitation: Invitation, role: OrganiserRole) -> list[Move]:
    """The organisers' moves legal from the invitation's status that `role` may make,
    in the table's order: a viewer is offered none."""
    return [
        move
        for move in ORGANISER_MOVES
        if invitation.status in TRANSITIONS[move].allowed_from and role.covers(_role(move))
    ]


def require_move(organiser: Organiser, move: Move) -> None:
    """404 for a move that is not the organisers' (an invitee's answer, the clock's),
    403 (a page saying so) unless the role allows it."""
    if move not in ORGANISER_MOVES:
        raise NotFound("Organisers can resend, withdraw or extend an invitation.")
    ensure_role(organiser, _role(move))
