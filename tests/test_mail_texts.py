"""Every message kind renders in every language; translations stay complete."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from app.mail.compose import Letter, compose
from app.mail.i18n import (
    DOMAIN,
    KIND_TEXTS,
    TRANSLATIONS_DIR,
    all_texts,
    catalog_path,
    event_time,
    texts,
    written_languages,
)
from app.mail.invitations.letters import compose_invitation
from app.models import INVITATION_KINDS, Broadcast, Language, MailKind
from tests.letters import unsaved_event, unsaved_invitation, unsaved_registration

TRANSLATED = [language.value for language in Language if language != Language.en]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def test_the_template_holds_every_english_text() -> None:
    template = read_catalog(TRANSLATIONS_DIR / f"{DOMAIN}.pot")
    assert {message.id for message in template if message.id} == all_texts(), (
        "run `make messages` (pybabel extract and update)"
    )


def test_every_kind_has_its_texts() -> None:
    assert set(KIND_TEXTS) == set(MailKind)
    assert all("lead" in texts for texts in KIND_TEXTS.values())
    # A broadcast's subject is the organiser's.
    written_by_us = set(MailKind) - {MailKind.broadcast}
    assert all("subject" in KIND_TEXTS[kind] for kind in written_by_us)


def test_the_mail_is_written_in_all_six_languages() -> None:
    assert written_languages() == sorted(language.value for language in Language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_translates_every_text_and_keeps_its_placeholders(language: str) -> None:
    """No English fallback: a text missing, empty or fuzzy (gettext would show the
    English) fails here, and so does a placeholder lost or misspelt in translation."""
    catalog = read_catalog(catalog_path(language), language)
    translated = {message.id: message for message in catalog if message.id}
    for english in sorted(all_texts()):
        message = translated.get(english)
        assert message is not None, f"{language}: missing {english!r}"
        assert isinstance(message.string, str) and message.string.strip(), (
            f"{language}: untranslated {english!r}"
        )
        assert not message.fuzzy, f"{language}: fuzzy, so never shown: {english!r}"
        assert set(_PLACEHOLDER.findall(message.string)) == set(_PLACEHOLDER.findall(english)), (
            language,
            english,
            message.string,
        )


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_registrant_gets_the_catalog_text_not_the_english(language: str) -> None:
    values = {"name": "N", "title": "T", "contact": "c", "code": "x", "position": 2}
    values |= {"organisers": "O"}
    written = texts(language, MailKind.verify_email, **values)
    english = texts("en", MailKind.verify_email, **values)
    # Short labels may be the same words ("Contact", "Organisation"); sentences never are.
    assert all(written[key] != text for key, text in english.items() if len(text) > 20)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", [kind for kind in MailKind if kind not in INVITATION_KINDS])
def test_every_kind_renders_in_every_language(kind: MailKind, language: Language) -> None:
    event = unsaved_event(title="Local Government & <Migration>", organisers=[])
    registration = unsaved_registration(event, language=language)
    broadcast = (
        Broadcast(subject="Room change: {title}", body="Now in <Room 4>.")
        if kind == MailKind.broadcast
        else None
    )
    letter = Letter(
        kind=kind,
        registration=registration,
        manage_url="http://rsvp.test/r/x",
        broadcast=broadcast,
    )
    message = compose(letter, sender="noreply@rsvp.test", message_id="<1@rsvp.test>")
    html = message.get_body(("html",))
    assert html is not None
    assert "Local Government &amp; &lt;Migration&gt;" in html.get_content()
    if broadcast is None:
        assert "{" not in str(message["Subject"])
    else:  # The organiser's text is theirs, braces and all, and never markup.
        assert str(message["Subject"]) == "Room change: {title}"
        assert "Now in &lt;Room 4&gt;." in html.get_content()


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", sorted(INVITATION_KINDS))
def test_every_invitation_kind_renders_in_every_language(
    kind: MailKind, language: Language
) -> None:
    event = unsaved_event(title="Local Government & <Migration>", organisers=[])
    invitation = unsaved_invitation(event, language=language, message="Welcome & <thanks>")
    message = compose_invitation(
        invitation,
        kind=kind,
        language=language,
        rsvp_url="http://rsvp.test/i/x",
        other="Laia Bonet",
        sender="noreply@rsvp.test",
        message_id="<1@rsvp.test>",
    )
    html = message.get_body(("html",))
    assert html is not None
    assert "Local Government &amp; &lt;Migration&gt;" in html.get_content()
    assert "{" not in str(message["Subject"])
    text = message.get_body(("plain",))
    assert text is not None
    with_link = kind in (
        MailKind.invitation,
        MailKind.delegate_invitation,
        MailKind.invitation_reminder,
    )
    assert ("http://rsvp.test/i/x" in text.get_content()) == with_link
    assert ("Welcome & <thanks>" in text.get_content()) == with_link


def test_an_event_over_midnight_shows_both_days() -> None:
    text = event_time(
        datetime(2013, 10, 4, 22, 0, tzinfo=UTC),
        datetime(2013, 10, 5, 6, 0, tzinfo=UTC),
        "America/New_York",
        "en",
    )
    assert text.startswith("Friday, 4 October 2013, 18:00")
    assert "Saturday, 5 October 2013, 02:00" in text
