"""Form posts into the API's schemas, and their errors into one message per field.

The rules stay in `RegistrationCreate` / `RegistrationUpdate`; this module only
maps form text to their fields and their errors to plain, translatable messages.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

import pycountry
from pydantic import BaseModel, ValidationError

from app.models import AffiliationType, Language
from app.registrations.schemas import RegistrationCreate, RegistrationUpdate
from app.substitutions.schemas import SubstituteCreate
from app.web.collation import sort_key
from app.web.i18n import N_, territory_names

# The fields of the sign-up body the form shows, in order.
SIGNUP_FIELDS = (
    "email",
    "given_name",
    "family_name",
    "organisation",
    "job_title",
    "affiliation_type",
    "country",
    "has_un_grounds_pass",
    "accessibility_needs",
    "language",
    "consent",
)
EDIT_FIELDS = tuple(name for name in SIGNUP_FIELDS if name not in {"email", "consent"})
# A colleague taking the registrant's place keeps the registrant's organisation.
SUBSTITUTE_FIELDS = tuple(name for name in SIGNUP_FIELDS if name != "organisation")
REQUIRED = frozenset(
    name for name, field in RegistrationCreate.model_fields.items() if field.is_required()
)

# (when missing, when invalid): GOV.UK style, saying what to do.
MESSAGES: dict[str, tuple[str, str]] = {
    "email": (
        N_("Enter your e-mail address"),
        N_("Enter an e-mail address in the correct format, like name@example.org"),
    ),
    "given_name": (N_("Enter your given name"), N_("Given name must be 100 characters or fewer")),
    "family_name": (
        N_("Enter your family name"),
        N_("Family name must be 100 characters or fewer"),
    ),
    "organisation": (
        N_("Enter your organisation"),
        N_("Organisation must be 200 characters or fewer"),
    ),
    "job_title": ("", N_("Job title must be 200 characters or fewer")),
    "affiliation_type": (
        N_("Select the type of organisation"),
        N_("Select the type of organisation"),
    ),
    "country": ("", N_("Select a country from the list")),
    "has_un_grounds_pass": (
        N_("Select yes if you have a UN grounds pass"),
        N_("Select yes if you have a UN grounds pass"),
    ),
    "accessibility_needs": ("", N_("Accessibility needs must be 2000 characters or fewer")),
    "language": (N_("Select a language"), N_("Select a language")),
    "consent": (
        N_("Agree to the use of your details to register"),
        N_("Agree to the use of your details to register"),
    ),
}

# The colleague's form speaks of them, not of the one filling it in.
SUBSTITUTE_MESSAGES: dict[str, tuple[str, str]] = MESSAGES | {
    "email": (
        N_("Enter your colleague’s e-mail address"),
        N_("Enter an e-mail address in the correct format, like name@example.org"),
    ),
    "given_name": (
        N_("Enter your colleague’s given name"),
        N_("Given name must be 100 characters or fewer"),
    ),
    "family_name": (
        N_("Enter your colleague’s family name"),
        N_("Family name must be 100 characters or fewer"),
    ),
    "has_un_grounds_pass": (
        N_("Select yes if your colleague has a UN grounds pass"),
        N_("Select yes if your colleague has a UN grounds pass"),
    ),
    "consent": (
        N_("Confirm that your colleague agrees to the use of their details"),
        N_("Confirm that your colleague agrees to the use of their details"),
    ),
}

AFFILIATION_LABELS: dict[AffiliationType, str] = {
    AffiliationType.member_state: N_("Member State delegation"),
    AffiliationType.local_government: N_("Local or regional government"),
    AffiliationType.un_system: N_("United Nations system"),
    AffiliationType.international_org: N_("Other international organisation"),
    AffiliationType.civil_society: N_("Civil society"),
    AffiliationType.migrant_diaspora: N_("Migrant or diaspora association"),
    AffiliationType.academia: N_("Academia or research"),
    AffiliationType.private_sector: N_("Private sector"),
    AffiliationType.media: N_("Media"),
    AffiliationType.other: N_("Other"),
}


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Parsed(Generic[M]):
    data: M | None
    errors: dict[str, str]
    """Field name to untranslated message, in form order."""


def _value(name: str, raw: str) -> Any:
    if name in {"has_un_grounds_pass", "consent"}:
        return {"yes": True, "no": False, "true": True}.get(raw, raw)
    return raw


def _parse(
    model: type[M],
    form: Mapping[str, str],
    fields: tuple[str, ...],
    messages: Mapping[str, tuple[str, str]] = MESSAGES,
) -> Parsed[M]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in fields:
        raw = form.get(name, "").strip()
        if raw:
            values[name] = _value(name, raw)
        elif name in REQUIRED:
            errors[name] = messages[name][0]
        elif name == "language":
            continue  # on an edit, no language chosen means no change
        else:
            # An emptied optional field clears it (and is simply absent on sign-up).
            values[name] = None
    try:
        data = model.model_validate(values)
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name in messages and name not in errors:
                errors[name] = messages[name][1]
        data = None
    if errors:
        ordered = {name: errors[name] for name in fields if name in errors}
        return Parsed(data=None, errors=ordered)
    return Parsed(data=data, errors={})


def parse_signup(form: Mapping[str, str], *, page_language: Language) -> Parsed[RegistrationCreate]:
    """The sign-up; without a chosen language, the registrant gets the page's."""
    chosen = form.get("language") or page_language.value
    return _parse(RegistrationCreate, {**form, "language": chosen}, SIGNUP_FIELDS)


def parse_substitute(
    form: Mapping[str, str], *, page_language: Language
) -> Parsed[SubstituteCreate]:
    """The colleague's sign-up; the organisation is the registrant's (not on the form)."""
    chosen = form.get("language") or page_language.value
    return _parse(
        SubstituteCreate, {**form, "language": chosen}, SUBSTITUTE_FIELDS, SUBSTITUTE_MESSAGES
    )


def parse_edit(form: Mapping[str, str]) -> Parsed[RegistrationUpdate]:
    return _parse(RegistrationUpdate, form, EDIT_FIELDS)


@cache
def countries(language: Language) -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-2 codes the API accepts, named and sorted in the page's language.

    Sorted once per language (the collation costs some 10 ms a call): every form and
    the organisers' filters list them.
    """
    names = territory_names(language)
    pairs = [
        (country.alpha_2, names.get(country.alpha_2, country.name))
        for country in pycountry.countries
    ]
    key = sort_key(language)
    return tuple(sorted(pairs, key=lambda pair: key(pair[1])))
