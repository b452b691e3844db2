"""The RSVP forms' posts into the invitations API's bodies, and their errors.

The rules stay in `app.invitations`; like `app.web.forms`, this only maps form
text to fields and errors to plain, translatable messages. The accept form is
the sign-up form without the e-mail address (the invitation's is used), plus a
fieldset per guest the invitation admits (`companion_{n}_{field}`); a guest
whose fields are all left empty is not coming.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from app.invitations.schemas import AcceptBody, CompanionCreate, DeclineBody, DelegateBody
from app.models import Language
from app.web.forms import MESSAGES, SIGNUP_FIELDS, Parsed, _parse
from app.web.i18n import N_

ACCEPT_FIELDS = tuple(name for name in SIGNUP_FIELDS if name != "email")
COMPANION_FIELDS = ("given_name", "family_name", "has_un_grounds_pass")
DELEGATE_FIELDS = ("email", "given_name", "family_name", "language")

COMPANION_MESSAGES: dict[str, tuple[str, str]] = {
    "given_name": (
        N_("Enter your guest’s given name"),
        N_("Given name must be 100 characters or fewer"),
    ),
    "family_name": (
        N_("Enter your guest’s family name"),
        N_("Family name must be 100 characters or fewer"),
    ),
    "has_un_grounds_pass": (
        N_("Select yes if your guest has a UN grounds pass"),
        N_("Select yes if your guest has a UN grounds pass"),
    ),
}
DELEGATE_MESSAGES: dict[str, tuple[str, str]] = MESSAGES | {
    "email": (
        N_("Enter the e-mail address of the person you send in your place"),
        N_("Enter an e-mail address in the correct format, like name@example.org"),
    ),
    "given_name": (
        N_("Enter the given name of the person you send in your place"),
        N_("Given name must be 100 characters or fewer"),
    ),
    "family_name": (
        N_("Enter the family name of the person you send in your place"),
        N_("Family name must be 100 characters or fewer"),
    ),
}
NOTE_MESSAGES = {"note": ("", N_("Your note must be 2000 characters or fewer"))}


def companion_field(number: int, name: str) -> str:
    """The form's name (and id) of guest `number`'s field `name`: `companion_1_given_name`."""
    return f"companion_{number}_{name}"


def _companion(
    form: Mapping[str, str], number: int, errors: dict[str, str]
) -> CompanionCreate | None:
    """Guest `number` from the form (None when all their fields are empty); their
    errors are added to `errors`, keyed by field."""
    raw = {name: form.get(companion_field(number, name), "").strip() for name in COMPANION_FIELDS}
    if not any(raw.values()):
        return None
    missing = [name for name, value in raw.items() if not value]
    for name in missing:
        errors[companion_field(number, name)] = COMPANION_MESSAGES[name][0]
    values: dict[str, Any] = {
        "given_name": raw["given_name"],
        "family_name": raw["family_name"],
        "has_un_grounds_pass": {"yes": True, "no": False}.get(raw["has_un_grounds_pass"]),
    }
    try:
        return CompanionCreate.model_validate(values) if not missing else None
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0])
            errors.setdefault(companion_field(number, name), COMPANION_MESSAGES[name][1])
        return None


def parse_accept(
    form: Mapping[str, str], *, companions_allowed: int, page_language: Language
) -> Parsed[AcceptBody]:
    """The invitee's details (the sign-up's, but the e-mail) and their named guests."""
    chosen = form.get("language") or page_language.value
    details = _parse(AcceptBody, {**form, "language": chosen}, ACCEPT_FIELDS)
    errors = dict(details.errors)
    guests = [_companion(form, number, errors) for number in range(1, companions_allowed + 1)]
    if details.data is None or errors:
        return Parsed(data=None, errors=errors)
    coming = [guest for guest in guests if guest is not None]
    return Parsed(data=details.data.model_copy(update={"companions": coming}), errors={})


def parse_decline(form: Mapping[str, str]) -> Parsed[DeclineBody]:
    return _parse(DeclineBody, form, ("note",), NOTE_MESSAGES)


def parse_delegate(form: Mapping[str, str]) -> Parsed[DelegateBody]:
    return _parse(DelegateBody, form, DELEGATE_FIELDS, DELEGATE_MESSAGES)
