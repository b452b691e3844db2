"""What may happen to an invitation, from which status, and who may do it.

`TRANSITIONS` is the whole table (the README shows it too): a move is legal only
from the statuses listed for it, else 409 `invalid_transition`; an invitee's
answer after `respond_by` is 409 `invitation_expired` instead. Every move that
changes the seats an invitation holds (`changes_holds`) takes the event's lock
first, then the invitation's row, as every seat change does.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from app.kit.errors import InvalidTransition, InvitationExpired
from app.models import Invitation, InvitationStatus, OrganiserRole


class Move(StrEnum):
    # The invitee's answers, through the RSVP link.
    accept = "accept"
    decline = "decline"
    delegate = "delegate"
    # The organisers' actions (`POST .../invitations/{id}/{action}`).
    resend = "resend"
    revoke = "revoke"
    extend = "extend"
    # The clock's: past `respond_by` (`app.events.seating.release_lapsed_holds`).
    expire = "expire"


class Actor(StrEnum):
    invitee = "invitee"
    organiser = "organiser"
    clock = "clock"


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[InvitationStatus]
    leads_to: InvitationStatus
    actor: Actor
    role: OrganiserRole | None
    """The organiser role needed (organisers' actions only)."""
    changes_holds: bool
    """Whether the move can change the seats held (then it takes the event's lock)."""
    before_deadline: bool
    """Whether the move is refused past `respond_by` (409 `invitation_expired`)."""


_PENDING = frozenset({InvitationStatus.pending})

TRANSITIONS: Final[Mapping[Move, Rule]] = {
    Move.accept: Rule(
        _PENDING, InvitationStatus.accepted, Actor.invitee, None, True, before_deadline=True
    ),
    Move.decline: Rule(
        _PENDING, InvitationStatus.declined, Actor.invitee, None, True, before_deadline=True
    ),
    # The holds move to the delegate's new invitation in the same transaction.
    Move.delegate: Rule(
        _PENDING, InvitationStatus.delegated, Actor.invitee, None, True, before_deadline=True
    ),
    # A new RSVP link (the old one stops working); the holds stay as they are.
    Move.resend: Rule(
        _PENDING,
        InvitationStatus.pending,
        Actor.organiser,
        OrganiserRole.owner,
        False,
        before_deadline=False,
    ),
    Move.revoke: Rule(
        _PENDING,
        InvitationStatus.revoked,
        Actor.organiser,
        OrganiserRole.owner,
        True,
        before_deadline=False,
    ),
    # A new deadline; an expired invitation is open again (and holds again).
    Move.extend: Rule(
        frozenset({InvitationStatus.pending, InvitationStatus.expired}),
        InvitationStatus.pending,
        Actor.organiser,
        OrganiserRole.owner,
        True,
        before_deadline=False,
    ),
    Move.expire: Rule(
        _PENDING, InvitationStatus.expired, Actor.clock, None, True, before_deadline=False
    ),
}

_DOING = {
    Move.accept: "accept",
    Move.decline: "decline",
    Move.delegate: "pass on",
    Move.resend: "resend",
    Move.revoke: "revoke",
    Move.extend: "extend",
    Move.expire: "expire",
}


def status_at(invitation: Invitation, now: datetime) -> InvitationStatus:
    """The status as it stands at `now`: a pending invitation past its deadline has
    expired, even before the worker (or the next seat change) records it."""
    if invitation.status == InvitationStatus.pending and invitation.lapsed_at(now):
        return InvitationStatus.expired
    return invitation.status


def check(move: Move, invitation: Invitation, *, now: datetime) -> Rule:
    """The move's rule, if the table allows it from the invitation's status at `now`.

    Raises 409 `invitation_expired` for an answer past the deadline, else
    `invalid_transition` from a status the table does not list.
    """
    rule = TRANSITIONS[move]
    status = status_at(invitation, now) if rule.actor == Actor.invitee else invitation.status
    if rule.before_deadline and status == InvitationStatus.expired:
        raise InvitationExpired(
            "The deadline to answer this invitation has passed. Please contact the organisers.",
            status=str(InvitationStatus.expired),
        )
    if status not in rule.allowed_from:
        raise InvalidTransition(
            f"Can't {_DOING[move]} an invitation that is {status}.", status=str(status)
        )
    return rule
