"""What the invitations pages call statuses, actions, their results and form errors.

Marked for the catalogs here (`N_`), translated where they are shown.
"""

from app.invitations.transitions import Move
from app.models import InvitationStatus
from app.web.i18n import N_

STATUS_LABELS: dict[InvitationStatus, str] = {
    InvitationStatus.pending: N_("Waiting for an answer"),
    InvitationStatus.accepted: N_("Accepted"),
    InvitationStatus.declined: N_("Declined"),
    InvitationStatus.delegated: N_("Passed on to a delegate"),
    InvitationStatus.expired: N_("Expired"),
    InvitationStatus.revoked: N_("Withdrawn"),
}

ACTION_LABELS: dict[Move, str] = {
    Move.resend: N_("Send the invitation again"),
    Move.revoke: N_("Withdraw the invitation"),
    Move.extend: N_("Change the deadline"),
}

# The status message after an action, `%(name)s` the invitee.
DONE_MESSAGES: dict[str, str] = {
    "created": N_("%(name)s was invited. The invitation is on its way by e-mail."),
    "imported": N_("The invitations were created and are on their way by e-mail."),
    Move.resend: N_("The invitation was sent again to %(name)s, with a new link."),
    Move.revoke: N_("The invitation of %(name)s was withdrawn."),
    Move.extend: N_("%(name)s now has until the new deadline to answer."),
}

REVOKE_QUESTION = N_("Withdraw the invitation of %(name)s?")
REVOKE_MEANING = N_(
    "Their link stops working and the seats it holds go to the waitlist. "
    "A withdrawn invitation cannot be opened again."
)
REVOKE_YES = N_("Yes, withdraw the invitation")

# Form errors by field: (when missing, when not valid).
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "email": (
        N_("Enter the invitee’s e-mail address"),
        N_("Enter an e-mail address in the correct format, like name@example.org"),
    ),
    "given_name": (N_("Enter the given name"), N_("Given name must be 100 characters or fewer")),
    "family_name": (
        N_("Enter the family name"),
        N_("Family name must be 100 characters or fewer"),
    ),
    "organisation": ("", N_("Organisation must be 200 characters or fewer")),
    "affiliation_type": ("", N_("Select the type of organisation")),
    "language": ("", N_("Select a language")),
    "companions_allowed": ("", N_("Enter a whole number of guests from 0 to 20")),
    "respond_by": ("", N_("Enter a date and time in the future, like 2026-09-30 18:00")),
    "message": ("", N_("The message must be 2000 characters or fewer")),
}
ALREADY_INVITED = N_("This person already has an invitation waiting for an answer or accepted.")
ALREADY_REGISTERED = N_("This person is already registered for this event.")
NOT_ENOUGH_SEATS = N_(
    "Not enough free seats to hold for this invitation. Invite without holding seats, "
    "or raise the capacity."
)
EVENT_CALLED_OFF = N_("This event has been called off: nobody can be invited.")
NOT_NOW = N_(
    "This cannot be done while the invitation is in its present status: see the status above."
)
FILE_TOO_LARGE = N_("The file is too large: send at most 1,000 invitations, 2 MB, at a time.")
