"""Page languages: how one is chosen, and that every catalog is complete."""

import re

import httpx
import pytest
from babel.messages.pofile import read_po

from app.models import Language
from app.web.i18n import TRANSLATIONS_DIR, negotiate
from tests.html import parse

FORM = "/events/side-event"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "chosen"),
    [
        ("fr", "ru", "es", "fr"),
        (None, "ru", "es", "ru"),
        (None, None, "es-MX,es;q=0.9,en;q=0.8", "es"),
        ("xx", "yy", "de, zh-Hans-CN;q=0.7, ar;q=0.8", "ar"),
        (None, None, "ar;q=0, en-GB;q=0.5", "en"),
        (None, None, "de-DE", "en"),
        (None, None, None, "en"),
    ],
    ids=[
        "query beats cookie",
        "cookie beats header",
        "header with region",
        "unknown skipped, q-values",
        "q=0 refuses",
        "nothing known",
        "nothing sent",
    ],
)
def test_language_is_query_then_cookie_then_accept_language(
    query: str | None, cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert negotiate(query=query, cookie=cookie, accept_language=accept) == Language(chosen)


async def test_lang_query_is_remembered_in_a_cookie(
    event: object, client: httpx.AsyncClient
) -> None:
    response = await client.get(FORM, params={"lang": "fr"})
    assert response.cookies["lang"] == "fr"
    later = await client.get(FORM, headers={"Accept-Language": "ru"})
    assert parse(later.text).one("html").attrs["lang"] == "fr"


async def test_accept_language_chooses_the_page_language(
    event: object, client: httpx.AsyncClient
) -> None:
    response = await client.get(FORM, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = parse(response.text)
    assert page.one("html").attrs["lang"] == "zh"
    assert "2013年10月4日星期五" in page.text
    assert "lang" not in response.cookies


async def test_arabic_page_is_right_to_left(event: object, client: httpx.AsyncClient) -> None:
    page = parse((await client.get(FORM, params={"lang": "ar"})).text)
    assert page.one("html").attrs == {"lang": "ar", "dir": "rtl"}
    assert page.one("label", for_="email").text == "البريد الإلكتروني (مطلوب)"


async def test_registrant_language_defaults_to_the_page_language(
    event: object, client: httpx.AsyncClient
) -> None:
    page = parse((await client.get(FORM, params={"lang": "ru"})).text)
    assert "selected" in page.one("option", value="ru").attrs
    assert page.one("option", value="EC").text == "Эквадор"


async def test_language_switcher_links_every_language_in_its_own_name(
    event: object, client: httpx.AsyncClient
) -> None:
    page = parse((await client.get(FORM)).text)
    links = {a.attrs["hreflang"]: a.text for a in page.find_all("a") if "hreflang" in a.attrs}
    assert links == {
        "fr": "Français",
        "es": "Español",
        "ar": "العربية",
        "zh": "中文",
        "ru": "Русский",
    }


@pytest.mark.parametrize("language", [lang for lang in Language if lang != Language.en])
def test_catalog_translates_every_message_and_keeps_placeholders(language: Language) -> None:
    path = TRANSLATIONS_DIR / language.value / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=language.value)
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as file:
        template = read_po(file)
    assert {m.id for m in catalog if m.id} == {m.id for m in template if m.id}, "run pybabel update"
    for message in catalog:
        if not message.id:
            continue
        ids = tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)
        raw = message.string
        strings = tuple(raw) if isinstance(raw, tuple | list) else (raw or "",)
        assert all(strings), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy, so never shown: {message.id!r}"
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        # Arabic spells out "no places", "one place" and "two places" without the number.
        numbered = strings[3:] if language == Language.ar and len(strings) == 6 else strings
        for string in numbered:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, (message.id, string)
