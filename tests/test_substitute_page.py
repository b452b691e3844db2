"""The manage page's "send a colleague instead" form, without a browser."""

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration, RegistrationStatus
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeRegistration
from tests.html import parse
from tests.test_pages import hidden_fields, sign_up
from tests.test_substitution import COLLEAGUE as API_COLLEAGUE

# The API's colleague, as the form sends them (in French).
COLLEAGUE = {name: value for name, value in API_COLLEAGUE.items() if isinstance(value, str)} | {
    "accessibility_needs": "",
    "has_un_grounds_pass": "no",
    "language": "fr",
    "consent": "true",
}


async def active(session: AsyncSession) -> list[tuple[str, RegistrationStatus]]:
    rows = await session.execute(
        select(Registration.email, Registration.status).order_by(Registration.signup_seq)
    )
    return [(email, status) for email, status in rows]


async def test_the_manage_page_offers_to_send_a_colleague(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    page = parse((await client.get(manage)).text)
    assert page.one("a", href=manage + "/substitute").text == "Send a colleague instead"


async def test_the_form_keeps_the_organisation_and_asks_for_the_colleague(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    form = parse((await client.get(manage + "/substitute")).text)
    assert form.one("h1").text == "Send a colleague instead"
    assert "Municipality of Cuenca" in form.one("dl").text
    assert not form.find_all("input", name="organisation")
    names = {e.attrs["name"] for e in form.find_all("input")} | {
        e.attrs["name"] for e in form.find_all("select")
    }
    assert set(COLLEAGUE) <= names | {"accessibility_needs"}
    assert form.one("label", for_="email").text == "Your colleague’s e-mail address (required)"


async def test_sending_the_form_passes_the_place_and_says_so(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    manage = await sign_up(client, clock)
    form = await client.get(manage + "/substitute")
    response = await client.post(manage + "/substitute", data=hidden_fields(form.text) | COLLEAGUE)
    assert response.status_code == 303
    assert response.headers["location"] == manage + "?done=substituted"
    page = parse((await client.get(response.headers["location"])).text)
    assert "Your place has been passed to your colleague" in page.one("div", class_="notice").text
    assert "Your registration is cancelled" in page.one("h1").text
    assert not page.find_all("a", href=manage + "/substitute")
    assert await active(session) == [
        ("mayor@cuenca.example", RegistrationStatus.cancelled),
        ("deputy@cuenca.example", RegistrationStatus.confirmed),
    ]
    substitute = (
        await session.scalars(select(Registration).where(Registration.email.startswith("deputy")))
    ).one()
    assert substitute.language == "fr"
    assert substitute.organisation == "Municipality of Cuenca"


async def test_errors_speak_of_the_colleague_and_keep_the_values(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    manage = await sign_up(client, clock)
    form = await client.get(manage + "/substitute")
    sent = hidden_fields(form.text) | COLLEAGUE | {"email": "", "consent": "", "job_title": "Jefa"}
    response = await client.post(manage + "/substitute", data=sent)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.one("a", href="#email").text == "Enter your colleague’s e-mail address"
    assert page.one("a", href="#consent").text == (
        "Confirm that your colleague agrees to the use of their details"
    )
    assert page.one("input", name="job_title").attrs["value"] == "Jefa"
    assert await session.scalar(select(func.count()).select_from(Registration)) == 1


async def test_an_address_already_registered_is_an_error_on_the_field(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    manage = await sign_up(client, clock)
    form = await client.get(manage + "/substitute")
    sent = hidden_fields(form.text) | COLLEAGUE | {"email": "MAYOR@cuenca.example"}
    response = await client.post(manage + "/substitute", data=sent)
    assert response.status_code == 409
    page = parse(response.text)
    assert page.one("a", href="#email").text.startswith(
        "This e-mail address is already registered for this event."
    )
    assert await active(session) == [("mayor@cuenca.example", RegistrationStatus.confirmed)]


async def test_the_form_needs_its_csrf_token(
    event: object, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    manage = await sign_up(client, clock)
    response = await client.post(manage + "/substitute", data=COLLEAGUE)
    assert response.status_code == 403
    assert "the form had expired" in response.text
    assert parse(response.text).one("input", id="given_name").attrs["value"] == "Rosa"
    assert await session.scalar(select(func.count()).select_from(Registration)) == 1


@pytest.mark.parametrize("lang", ["fr", "es", "ar", "zh", "ru"])
async def test_the_form_is_in_the_page_language(
    event: object, client: httpx.AsyncClient, clock: FakeClock, lang: str
) -> None:
    manage = await sign_up(client, clock)
    page = parse((await client.get(f"{manage}/substitute?lang={lang}")).text)
    assert page.one("html").attrs["lang"] == lang
    heading = page.one("h1").text
    assert heading and heading != "Send a colleague instead"


@pytest.mark.parametrize("stage", ["cancelled", "checked_in"])
async def test_no_form_for_a_registration_that_cannot_be_passed_on(
    event: object, client: httpx.AsyncClient, make_registration: MakeRegistration, stage: str
) -> None:
    _, token = await make_registration(stage)
    page = parse((await client.get(f"/r/{token}")).text)
    assert not page.find_all("a", href=f"/r/{token}/substitute")
    response = await client.get(f"/r/{token}/substitute")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")


async def test_a_form_over_the_body_limit_is_a_page(
    event: object, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    manage = await sign_up(client, clock)
    form = await client.get(manage + "/substitute")
    big = hidden_fields(form.text) | COLLEAGUE | {"accessibility_needs": "x" * 70_000}
    response = await client.post(manage + "/substitute", data=big)
    assert response.status_code == 413
    assert "Your form is too long" in parse(response.text).one("h1").text
