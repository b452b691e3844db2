"""What the registrations pages and the desk call statuses, actions and their results.

Marked for the catalogs here (`N_`), translated where they are shown.
"""

from app.dashboard.overview.figures import STATUS_LABELS
from app.models import DeliveryState
from app.registrations.transitions import Action, Stage
from app.web.i18n import N_

# The statuses' words are the overview's (one set for the dashboard); a registration's
# stage adds "checked in", a confirmed one that has arrived.
STAGE_LABELS: dict[Stage, str] = {
    Stage(status.value): label for status, label in STATUS_LABELS.items()
} | {Stage.checked_in: N_("Checked in")}
WAITLIST_POSITION = N_("Waitlisted (number %(position)s)")

ACTION_LABELS: dict[Action, str] = {
    Action.approve: N_("Approve"),
    Action.decline: N_("Decline"),
    Action.cancel: N_("Cancel registration"),
    Action.promote: N_("Give a seat"),
    Action.check_in: N_("Check in"),
    Action.undo_check_in: N_("Undo check-in"),
    Action.resend_confirmation: N_("Resend confirmation"),
}

# The status message after an action, `%(name)s` the registrant.
DONE_MESSAGES: dict[Action, str] = {
    Action.approve: N_("%(name)s was approved."),
    Action.decline: N_("%(name)s was declined."),
    Action.cancel: N_("The registration of %(name)s was cancelled."),
    Action.promote: N_("%(name)s was given a seat from the waitlist."),
    Action.check_in: N_("%(name)s is checked in."),
    Action.undo_check_in: N_("The check-in of %(name)s was undone."),
    Action.resend_confirmation: N_("The confirmation was sent again to %(name)s."),
}

# The confirmation step of what cannot be undone: (question, what it means, yes).
CONFIRMATIONS: dict[Action, tuple[str, str, str]] = {
    Action.decline: (
        N_("Decline the registration of %(name)s?"),
        N_(
            "They are told by e-mail that their registration was not accepted. "
            "A declined registration cannot be approved again."
        ),
        N_("Yes, decline"),
    ),
    Action.cancel: (
        N_("Cancel the registration of %(name)s?"),
        N_(
            "They are told by e-mail, and their seat goes to the next person on the "
            "waitlist. A cancelled registration cannot be restored."
        ),
        N_("Yes, cancel the registration"),
    ),
}

DELIVERY_LABELS: dict[DeliveryState, str] = {
    DeliveryState.pending: N_("Waiting to be sent"),
    DeliveryState.sent: N_("Sent"),
    DeliveryState.failed: N_("Failed"),
    DeliveryState.suppressed: N_("Not sent"),
}
