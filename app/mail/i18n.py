"""The texts of registrant e-mails per language, and dates shown the local way.

The English texts are written here, marked with `N_` so `pybabel extract` finds
them (domain `mail`, see README "E-mail languages"); each other language's
texts are the gettext catalog `translations/<lang>/LC_MESSAGES/mail.po`,
compiled in memory on first use, as the pages' catalogs are. Placeholders are
`{name}`-style and filled in after translation.
"""

import io
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.models import MailKind

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "mail"
SOURCE_LANGUAGE = "en"
# Dates the UN way, as on the pages: "Friday, 4 October 2013", not the US order.
_FORMAT_LOCALES = {"en": "en_GB"}
EN_DASH = " \u2013 "


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when a message is written."""
    return message


# Placeholders: {name}, {title}, {contact}, {code}, {position}, {organisers}, {deadline}.
COMMON_TEXTS: Mapping[str, str] = {
    "greeting": N_("Dear {name},"),
    # Between a label and its value ("When: Friday, ..."); French spaces it, Chinese
    # writes a full-width colon.
    "colon": N_(": "),
    "when": N_("When"),
    "where": N_("Where"),
    "manage_intro": N_("To see, change or cancel your registration, use your personal link:"),
    "manage_button": N_("Manage your registration"),
    "calendar_added": N_("The attached calendar file (.ics) adds the event to your calendar."),
    "calendar_removed": N_(
        "If you added the event to your calendar, the attached calendar file (.ics) removes it."
    ),
    "photo_id": N_("Please bring a photo ID that shows the name you registered with."),
    "signature": N_("The organisers: {organisers}"),
    "automatic": N_("This message was sent automatically; replies are not read."),
    "entrance": N_("Entrance"),
    "arrival": N_("Arriving"),
    "contact": N_("Contact"),
    "contact_line": N_("Questions? Write to the organisers at {contact}."),
    "contact_by_name": N_("Questions? Please contact the organisers: {organisers}."),
    "ticket_intro": N_(
        "Your ticket is below. Show it at the entrance, printed or on your phone,"
        " with your photo ID."
    ),
    "ticket_code": N_("Ticket code"),
    "ticket_alt": N_("QR code of your ticket (ticket code {code})"),
    "ticket_attached": N_("Your printable ticket is attached (PDF)."),
    "ticket_heading": N_("Ticket"),
    "ticket_name": N_("Name (as on your photo ID)"),
    "ticket_organisation": N_("Organisation"),
    "ticket_print": N_(
        "Print this page or show it on your phone at the entrance, with your photo ID."
    ),
    "no_grounds_pass": N_(
        "You do not have a UN grounds pass, so the organisers request a UN special event"
        " ticket in your name. They hand it to you at the visitors' entrance on the day,"
        " on seeing your photo ID."
    ),
}

# What an invitation (or one passed on) says besides its lead: how to answer, by when.
_ANSWER_TEXTS: Mapping[str, str] = {
    "manage_intro": N_(
        "To accept, to decline, or to send a colleague in your place, use your personal link:"
    ),
    "manage_button": N_("Answer the invitation"),
    "companions_note": N_(
        "You may bring up to {companions} named guest(s); name them when you accept."
    ),
    "personal_note": N_("A note from the organisers:"),
    "held_note": N_("Your seat is held for you until {deadline}; please answer by then."),
    "deadline_note": N_("Please answer by {deadline}."),
}

# Each kind's own texts: `subject` (but a broadcast's, which its organiser writes) and
# `lead`, and any common text it says otherwise.
KIND_TEXTS: Mapping[MailKind, Mapping[str, str]] = {
    MailKind.confirmed: {
        "subject": N_("Registration confirmed: {title}"),
        "lead": N_("Your place at “{title}” is confirmed."),
    },
    MailKind.waitlisted: {
        "subject": N_("You are on the waitlist: {title}"),
        "lead": N_(
            "“{title}” is full, so you are on the waitlist, at position {position}. When a"
            " place frees up it goes to the next person on the list, and we will e-mail you"
            " at once."
        ),
    },
    MailKind.pending_approval: {
        "subject": N_("Registration received: {title}"),
        "lead": N_(
            "We have received your registration for “{title}”. The organisers review each"
            " registration; we will e-mail you as soon as they have decided."
        ),
    },
    MailKind.promoted: {
        "subject": N_("A place is yours: {title}"),
        "lead": N_(
            "A place at “{title}” has freed up and it is yours: your registration is now confirmed."
        ),
    },
    MailKind.cancelled: {
        "subject": N_("Registration cancelled: {title}"),
        "lead": N_(
            "Your registration for “{title}” is cancelled. You are welcome to register again"
            " while registration is open."
        ),
    },
    MailKind.declined: {
        "subject": N_("Registration not accepted: {title}"),
        "lead": N_(
            "We are sorry: the organisers could not accept your registration for “{title}”."
        ),
    },
    MailKind.manage_link: {
        "subject": N_("Your registration link: {title}"),
        "lead": N_(
            "Someone, probably you, tried to register again with this e-mail address for"
            " “{title}”. You are already registered; here is the link to your registration."
        ),
    },
    MailKind.event_changed: {
        "subject": N_("Event updated: {title}"),
        "lead": N_(
            "The date, time or place of “{title}” has changed. Please note the details below."
        ),
    },
    MailKind.event_cancelled: {
        "subject": N_("Event cancelled: {title}"),
        "lead": N_(
            "We are sorry to tell you that “{title}” has been cancelled, and your"
            " registration with it. The attached calendar file removes the event from your"
            " calendar."
        ),
    },
    MailKind.verify_email: {
        "subject": N_("Confirm your registration: {title}"),
        "lead": N_(
            "Someone, probably you, signed up for “{title}” with this e-mail address. Your"
            " registration is not complete yet: please confirm it within 24 hours with the"
            " link below. Until then no place is held for you. If it was not you, ignore this"
            " message: without confirmation the sign-up lapses and is deleted."
        ),
        "manage_intro": N_(
            "To confirm your registration, open this link and press the button on the page:"
        ),
        "manage_button": N_("Confirm your registration"),
    },
    # Invitations (`app.mail.invitations`). Placeholders besides the common ones:
    # {deadline} (in the venue's time), {companions} (guests the invitee may bring),
    # {other} (the delegate, or the delegator).
    MailKind.invitation: {
        "subject": N_("Invitation: {title}"),
        "lead": N_(
            "The organisers have the pleasure of inviting you to “{title}”. Please let them"
            " know whether you will attend."
        ),
        **_ANSWER_TEXTS,
    },
    MailKind.delegate_invitation: {
        "subject": N_("Invitation passed on to you: {title}"),
        "lead": N_(
            "{other} has passed their invitation to “{title}” on to you: the organisers"
            " invite you in their place. Please let them know whether you will attend."
        ),
        **_ANSWER_TEXTS,
    },
    # Sent before the deadline to an invitee who has not answered (`app.schedule.invitations`).
    MailKind.invitation_reminder: {
        "subject": N_("Reminder: please answer the invitation to {title}"),
        "lead": N_(
            "The organisers invited you to “{title}” and have not yet had your answer. Please"
            " let them know by {deadline} whether you will attend."
        ),
        **_ANSWER_TEXTS,
    },
    MailKind.invitation_declined: {
        "subject": N_("Invitation declined: {title}"),
        "lead": N_(
            "You have declined the invitation to “{title}”. Thank you for letting the"
            " organisers know."
        ),
    },
    MailKind.invitation_delegated: {
        "subject": N_("Invitation passed on: {title}"),
        "lead": N_(
            "You have passed your invitation to “{title}” on to {other}, who has been sent an"
            " invitation of their own. Thank you for letting the organisers know."
        ),
    },
    # A substitution (`app.substitutions`): the colleague given the place, by the
    # status taken over, and the registrant who passed it on.
    MailKind.substitute_confirmed: {
        "subject": N_("A place is yours: {title}"),
        "lead": N_(
            "A colleague who was registered for “{title}” has passed their place to you, so"
            " you are now registered and your place is confirmed."
        ),
    },
    MailKind.substitute_waitlisted: {
        "subject": N_("You are on the waitlist: {title}"),
        "lead": N_(
            "A colleague who was on the waitlist for “{title}” has passed their place in it"
            " to you. You are now on the waitlist, at position {position}. When a place frees"
            " up it goes to the next person on the list, and we will e-mail you at once."
        ),
    },
    MailKind.substitute_pending_approval: {
        "subject": N_("Registration received: {title}"),
        "lead": N_(
            "A colleague who had registered for “{title}” has passed their registration to"
            " you. The organisers review each registration; we will e-mail you as soon as"
            " they have decided."
        ),
    },
    MailKind.seat_passed_on: {
        "subject": N_("Your place is passed on: {title}"),
        "lead": N_(
            "As asked from the page of your registration, your place at “{title}” has been"
            " passed to a colleague, who has been e-mailed their own link and ticket. Your"
            " registration is cancelled and your ticket no longer admits you. If you did not"
            " ask for this, please contact the organisers at once."
        ),
    },
    # Scheduled (`app.schedule.reminders`) and waitlist offers (`app.events.offers`);
    # {deadline} is the offer's, in the event's time zone.
    MailKind.reminder: {
        "subject": N_("Reminder: {title}"),
        "lead": N_(
            "This is a reminder of your place at “{title}”. Your ticket and the details are"
            " below; the attached calendar file brings your calendar up to date. If you can"
            " no longer come, please cancel with your link, so that someone else can have"
            " your place."
        ),
    },
    MailKind.offer: {
        "subject": N_("A place is offered to you: {title}"),
        "lead": N_(
            "A place at “{title}” has freed up, and as number {position} on the waitlist you"
            " are offered it. It is held for you until {deadline}; after that it goes to the"
            " next person on the waitlist."
        ),
        "accept_intro": N_("To take the place, open this link and confirm:"),
        "accept_button": N_("Accept the place"),
        "decline_intro": N_("If you cannot come, decline it, so that the next person can have it:"),
        "decline_button": N_("Decline the place"),
    },
    MailKind.offer_lapsed: {
        "subject": N_("The place offered to you has gone: {title}"),
        "lead": N_(
            "The place at “{title}” offered to you was held until {deadline}. As it was not"
            " accepted in time, it has gone to the next person on the waitlist, and your"
            " registration has ended. You are welcome to register again while registration"
            " is open."
        ),
    },
    # The organiser writes the subject and the body; these frame them.
    MailKind.broadcast: {
        "lead": N_("The organisers of “{title}” send you this message:"),
        "reason": N_("You receive this message because you registered for “{title}”."),
    },
}


def all_texts() -> set[str]:
    """Every English text of the e-mails: what each catalog must translate."""
    own = {text for texts in KIND_TEXTS.values() for text in texts.values()}
    return set(COMMON_TEXTS.values()) | own


def compiled_po(po: Path, *, language: str, domain: str) -> NullTranslations:
    """The gettext catalog of a committed `.po` file, compiled in memory (so a stale
    `.mo` can never be served); no translations when the file does not exist."""
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def catalog_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def written_languages() -> list[str]:
    """The languages e-mails exist in (English and each with a catalog), sorted."""
    translated = {path.parent.parent.name for path in TRANSLATIONS_DIR.glob(f"*/*/{DOMAIN}.po")}
    return sorted(translated | {SOURCE_LANGUAGE})


@cache
def _written() -> frozenset[str]:
    """`written_languages`, looked up once: the catalogs ship with the code, and every
    e-mail queued asks (no folder listing per sign-up)."""
    return frozenset(written_languages())


def mail_language(language: str) -> str:
    """The language to write in: the registrant's (English for one never translated)."""
    return language if language in _written() else SOURCE_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    return compiled_po(catalog_path(language), language=language, domain=DOMAIN)


def texts(language: str, kind: MailKind, **values: object) -> dict[str, str]:
    """The common texts and the kind's own (`subject`, `lead`), translated, placeholders
    filled in."""
    gettext = translations(mail_language(language)).gettext
    english = {**COMMON_TEXTS, **KIND_TEXTS[kind]}
    return {key: gettext(text).format_map(values) for key, text in english.items()}


# Chinese sets its commas and brackets full width, Arabic its own comma.
_COMMAS = {"zh": "，", "ar": "، "}
_BRACKETS = {"zh": ("（", "）")}


def moment_time(moment: datetime, zone_name: str, language: str) -> str:
    """E.g. "Friday, 27 September 2013, 23:59 (Eastern Daylight Time)": one moment in the
    venue's time zone (an invitation's deadline), in the registrant's language."""
    language = mail_language(language)
    locale = _FORMAT_LOCALES.get(language, language)
    local = moment.astimezone(ZoneInfo(zone_name))
    comma = _COMMAS.get(language, ", ")
    opening, closing = _BRACKETS.get(language, (" (", ")"))
    day = format_date(local, "full", locale=locale)
    zone_label = get_timezone_name(local, "long", locale=locale)
    return f"{day}{comma}{format_time(local, 'short', locale=locale)}{opening}{zone_label}{closing}"


def event_time(starts_at: datetime, ends_at: datetime, zone_name: str, language: str) -> str:
    """E.g. "Friday, 4 October 2013, 13:15 – 14:45 (Eastern Daylight Time)", in the
    registrant's language."""
    language = mail_language(language)
    locale = _FORMAT_LOCALES.get(language, language)
    zone = ZoneInfo(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    comma = _COMMAS.get(language, ", ")
    opening, closing = _BRACKETS.get(language, (" (", ")"))

    def moment(value: datetime, *, with_day: bool) -> str:
        time = format_time(value, "short", locale=locale)
        return f"{format_date(value, 'full', locale=locale)}{comma}{time}" if with_day else time

    until = moment(end, with_day=end.date() != start.date())
    zone_label = get_timezone_name(start, "long", locale=locale)
    return f"{moment(start, with_day=True)}{EN_DASH}{until}{opening}{zone_label}{closing}"


def moment_in_zone(value: datetime, zone_name: str, language: str) -> str:
    """E.g. "Thursday, 3 October 2013, 13:15 (Eastern Daylight Time)": a deadline, in the
    event's time zone, written the registrant's way."""
    language = mail_language(language)
    locale = _FORMAT_LOCALES.get(language, language)
    local = value.astimezone(ZoneInfo(zone_name))
    comma = _COMMAS.get(language, ", ")
    opening, closing = _BRACKETS.get(language, (" (", ")"))
    day = format_date(local, "full", locale=locale)
    time = format_time(local, "short", locale=locale)
    zone_label = get_timezone_name(local, "long", locale=locale)
    return f"{day}{comma}{time}{opening}{zone_label}{closing}"
