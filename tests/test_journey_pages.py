"""The attendee's journey on the pages: where to go, honest messages, no dead ends."""

import httpx
import pytest
from babel.support import NullTranslations

from app.config import Settings
from app.models import Language
from app.web import i18n
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent, MakeRegistration
from tests.html import parse
from tests.test_pages import FORM, VALID, sign_up, submit

DOOR = {
    "contact_email": "sideevent@jmdi.example",
    "entrance": "Visitors' entrance, 46th Street and First Avenue",
    "arrival_instructions": "Arrive 45 minutes early for the security screening.",
}


def translations(lang: str) -> NullTranslations:
    return i18n.translations(Language(lang))


async def test_event_and_manage_pages_say_where_to_go_and_whom_to_ask(
    make_event: MakeEvent, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_event(**DOOR)
    for path in (FORM, await sign_up(client, clock)):
        page = parse((await client.get(path)).text)
        assert DOOR["entrance"] in page.text
        assert DOOR["arrival_instructions"] in page.text
        assert page.find_all("a", href="mailto:sideevent@jmdi.example")


@pytest.mark.parametrize("stage", ["waitlisted", "pending_approval", "declined", "cancelled"])
async def test_without_a_seat_the_status_panel_gives_a_contact(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    stage: str,
) -> None:
    await make_event(**DOOR)
    _, token = await make_registration(stage)
    page = parse((await client.get(f"/r/{token}")).text)
    (panel,) = [e for e in page.find_all("div") if e.attrs.get("id") == "status"]
    assert "Questions? Write to the organisers at sideevent@jmdi.example." in panel.text


async def test_a_guest_without_grounds_pass_learns_how_the_special_event_ticket_reaches_them(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    _, guest = await make_registration(has_un_grounds_pass=False)
    _, delegate = await make_registration(has_un_grounds_pass=True)
    told = "They hand it to you at the visitors' entrance on the day"
    assert told in (await client.get(f"/r/{guest}")).text
    assert told not in (await client.get(f"/r/{delegate}")).text


@pytest.mark.parametrize(
    "stage,outcome",
    [
        ("confirmed", "Your place is confirmed"),
        ("waitlisted", "You are number 1 on the waitlist"),
        ("pending_approval", "Your registration is waiting for approval"),
    ],
)
async def test_the_result_page_title_and_focused_heading_say_the_outcome(
    make_event: MakeEvent,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    stage: str,
    outcome: str,
) -> None:
    await make_event()
    _, token = await make_registration(stage)
    page = parse((await client.get(f"/r/{token}?done=signed-up")).text)
    assert page.one("title").text.startswith(f"{outcome}: Local Government")
    (heading,) = page.find_all("h1")
    assert heading.text == outcome
    # Focused on load, so a screen reader announces the outcome first.
    assert "autofocus" in heading.attrs and heading.attrs["tabindex"] == "-1"


async def test_the_confirmed_page_offers_the_pdf_ticket_until_check_in(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    _, token = await make_registration("confirmed")
    page = parse((await client.get(f"/r/{token}")).text)
    assert page.find_all("a", href=f"/api/registrations/{token}/ticket.pdf")
    _, checked_in = await make_registration("checked_in")
    after = parse((await client.get(f"/r/{checked_in}")).text)
    assert after.one("h1").text == "You have checked in"
    assert not after.find_all("a", href=f"/api/registrations/{checked_in}/ticket.pdf")
    assert "Bring a photo ID and this ticket" not in after.text


async def test_a_duplicate_sign_up_says_the_link_was_resent_only_when_it_was(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await sign_up(client, clock)
    first = await submit(client, clock, VALID)
    assert first.status_code == 409
    assert "We have e-mailed you the link to your registration again." in first.text
    clock.advance(minutes=3)
    second = await submit(client, clock, VALID)
    assert second.status_code == 409
    page = parse(second.text)
    assert "so we have not sent it again" in page.text
    assert "You can ask for it again in 7 minutes." in page.text
    assert page.one("a", id="onward").attrs["href"] == "/events/side-event?lang=en"
    clock.advance(minutes=7)
    third = await submit(client, clock, VALID)
    assert "We have e-mailed you the link to your registration again." in third.text


async def test_the_api_duplicate_answer_is_as_honest(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    body = {k: v for k, v in VALID.items() if k != "job_title"} | {
        "has_un_grounds_pass": False,
        "consent": True,
        "language": "en",
    }
    assert (await client.post("/api/events/side-event/registrations", json=body)).status_code == 201
    first = await client.post("/api/events/side-event/registrations", json=body)
    assert first.json()["detail"].endswith("We have e-mailed the link to your registration again.")
    clock.advance(minutes=1)
    second = await client.post("/api/events/side-event/registrations", json=body)
    assert second.status_code == 409
    assert second.json()["code"] == "already_registered"
    assert "was not sent again" in second.json()["detail"]
    assert "from 14:10 UTC" in second.json()["detail"]


@pytest.mark.parametrize("path", ["/events", "/r/", "/nope", "/events/no-such-event", "/r/x/y/z"])
@pytest.mark.parametrize("lang", ["en", "fr", "ar", "zh"])
async def test_unknown_addresses_get_the_error_page_in_the_visitors_language(
    event: object, client: httpx.AsyncClient, settings: Settings, path: str, lang: str
) -> None:
    response = await client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.one("html").attrs["lang"] == lang
    _ = translations(lang).gettext
    assert page.one("title").text == _("Page not found")
    onward = page.one("a", id="onward")
    assert onward.attrs["href"] == f"/events/{settings.default_event_slug}?lang={lang}"
    assert onward.text == _("Go to the event page")


async def test_unknown_api_addresses_stay_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "code": "not_found"}


async def test_message_pages_link_back_to_the_registration(
    event: object,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    settings: Settings,
) -> None:
    _, token = await make_registration("checked_in")
    refused = parse((await client.get(f"/r/{token}/cancel")).text)
    assert refused.one("a", id="onward").attrs["href"] == f"/r/{token}?lang=en"
    unknown = parse((await client.get("/r/not-a-token")).text)
    default = f"/events/{settings.default_event_slug}?lang=en"
    assert unknown.one("a", id="onward").attrs["href"] == default


async def test_e_mails_come_in_every_language_offered_and_names_carry_their_lang(
    event: object, client: httpx.AsyncClient
) -> None:
    page = parse((await client.get(FORM + "?lang=ru")).text)
    # No "in another language you get them in English" hint: every choice is written.
    assert not [e for e in page.find_all("div") if e.attrs.get("id") == "language-hint"]
    options = {e.attrs["value"]: e.attrs.get("lang") for e in page.find_all("option")}
    assert all(options[code] == code for code in ("en", "fr", "es", "ar", "zh", "ru"))


@pytest.mark.parametrize(
    "lang,before,after",
    [
        ("fr", "Égypte", "Espagne"),  # accents ignored: É sorts as E
        ("es", "España", "Estados Unidos"),  # ñ is not an n, yet sorts before s
        ("ru", "Австрия", "Ямайка"),
        ("zh", "阿根廷", "巴西"),  # pinyin: a- before ba-
        ("zh", "智利", "中国"),  # zhi- before zhong-, whatever the code points
    ],
)
async def test_countries_are_sorted_as_the_language_sorts(
    event: object, client: httpx.AsyncClient, lang: str, before: str, after: str
) -> None:
    page = parse((await client.get(f"{FORM}?lang={lang}")).text)
    names = [
        e.text
        for e in page.find_all("option")
        if e.attrs["value"] and len(e.attrs["value"]) == 2 and e.attrs["value"].isupper()
    ]
    assert names.index(before) < names.index(after)
