"""Every message kind renders in every language; translations stay complete."""

from datetime import UTC, datetime

import pytest

from app.mail.compose import Letter, compose
from app.mail.i18n import catalog, event_time
from app.models import Language, MailKind
from tests.letters import unsaved_event, unsaved_registration


def text_keys(language: str) -> set[str]:
    """`greeting`, ..., `confirmed.subject`, ...: every text of the language's catalog."""
    keys = set()
    for key, value in catalog(language).items():
        keys |= {f"{key}.{own}" for own in value} if isinstance(value, dict) else {key}
    return keys


@pytest.mark.parametrize("language", ["fr", "es"])
def test_each_translation_has_every_english_text(language: str) -> None:
    assert text_keys(language) == text_keys("en")


def test_every_kind_has_its_texts() -> None:
    assert {key.split(".")[0] for key in text_keys("en") if "." in key} == set(MailKind)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(MailKind))
def test_every_kind_renders_in_every_language(kind: MailKind, language: Language) -> None:
    event = unsaved_event(title="Local Government & <Migration>", organisers=[])
    registration = unsaved_registration(event, language=language)
    letter = Letter(kind=kind, registration=registration, manage_url="http://rsvp.test/r/x")
    message = compose(letter, sender="noreply@rsvp.test", message_id="<1@rsvp.test>")
    html = message.get_body(("html",))
    assert html is not None
    assert "Local Government &amp; &lt;Migration&gt;" in html.get_content()
    assert "{" not in str(message["Subject"])


def test_an_event_over_midnight_shows_both_days() -> None:
    text = event_time(
        datetime(2013, 10, 4, 22, 0, tzinfo=UTC),
        datetime(2013, 10, 5, 6, 0, tzinfo=UTC),
        "America/New_York",
        "en",
    )
    assert text.startswith("Friday, 4 October 2013, 18:00")
    assert "Saturday, 5 October 2013, 02:00" in text
