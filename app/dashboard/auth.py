"""Who is signed in to the dashboard, and what their role lets them do.

`PageOrganiser` is the dependency every page takes. Without a live session a
GET is sent (303) to the sign-in form with `next` set to where it was going; a
POST (a form sent after the session ended or was revoked) is refused with 401
and a page linking to the sign-in form, since a post cannot be replayed after a
redirect. Roles are the API's (`OrganiserRole.covers`, and the transition
table's role per action), so a page refuses exactly what the API refuses.
"""

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from app.dashboard import sessions
from app.deps import ClockDep, SessionDep
from app.kit.errors import AppError
from app.models import Organiser, OrganiserRole
from app.organisers.roles import ensure_role
from app.registrations.transitions import TRANSITIONS, Action
from app.web.i18n import N_

SIGN_IN_PATH = "/admin/sign-in"
# Roles as pages name them (translated where shown).
ROLE_NAMES = {
    OrganiserRole.owner: N_("owner"),
    OrganiserRole.staff: N_("staff"),
    OrganiserRole.viewer: N_("viewer"),
}
HOME_PATH = "/admin"


class SignInRequired(AppError):
    """No live session: the dashboard's routes answer it with the sign-in form's address."""

    status_code = 401
    code = "unauthorized"


def safe_next(target: str | None) -> str:
    """`target` when it is a dashboard path on this site, else the dashboard's home.

    Only paths under /admin: no scheme, no host, no `//` or backslash (which
    browsers read as another host), no control characters.
    """
    if not target or any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return HOME_PATH
    if parts.path != HOME_PATH and not parts.path.startswith(HOME_PATH + "/"):
        return HOME_PATH
    return target


def sign_in_address(request: Request) -> str:
    """The sign-in form, coming back to this page (with its query) afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN_PATH}?next={quote(safe_next(here), safe='')}"


async def page_organiser(request: Request, session: SessionDep, clock: ClockDep) -> Organiser:
    organiser = await sessions.organiser_of(session, request, now=clock.now())
    if organiser is None:
        raise SignInRequired("Your session has ended or you are not signed in.")
    request.state.organiser = organiser
    return organiser


PageOrganiser = Annotated[Organiser, Depends(page_organiser)]


def required_role(what: OrganiserRole | Action) -> OrganiserRole:
    """The role an action of the transition table needs, or the role itself."""
    return TRANSITIONS[what].role if isinstance(what, Action) else what


def may(organiser: Organiser, what: OrganiserRole | Action) -> bool:
    """Whether to show the button: the same rule `require_page_role` enforces."""
    return organiser.role.covers(required_role(what))


def require_page_role(organiser: Organiser, what: OrganiserRole | Action) -> None:
    """403 (a page saying so) unless the organiser's role allows `what`."""
    ensure_role(organiser, required_role(what))
