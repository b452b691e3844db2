"""The dashboard's catalogs: every message translated in every language, placeholders kept."""

import re

import pytest
from babel.messages.pofile import read_po

from app.dashboard.rendering import DOMAIN, TRANSLATIONS_DIR, translations
from app.models import Language

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.mark.parametrize("language", [lang for lang in Language if lang != Language.en])
def test_every_dashboard_message_is_translated(language: Language) -> None:
    with (TRANSLATIONS_DIR / f"{DOMAIN}.pot").open("rb") as file:
        wanted = {m.id: m for m in read_po(file) if m.id}
    path = TRANSLATIONS_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        catalog = {m.id: m for m in read_po(file, locale=language.value) if m.id}
    assert set(catalog) == set(wanted), "run pybabel update (README, For organisers)"
    for message in catalog.values():
        ids = [str(i) for i in message.id] if isinstance(message.id, tuple) else [str(message.id)]
        raw = message.string
        strings = [str(s) for s in raw] if isinstance(raw, tuple) else [str(raw or "")]
        assert all(strings) and not message.fuzzy, f"untranslated: {message.id!r}"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[-1]))


def test_a_missing_message_falls_back_to_the_public_pages_then_english() -> None:
    french = translations(Language.fr)
    assert french.gettext("Sign out") == "Se déconnecter"
    assert french.gettext("Given name") == "Prénom"  # the public pages' catalog
    assert french.gettext("Not in any catalog") == "Not in any catalog"
