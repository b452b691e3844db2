"""The attendee's pages in a real browser: headless Chromium driven by Playwright.

Each test gets a fresh browser context (no cookies) on one live server with a
database of its own. axe-core checks WCAG 2.1 A and AA on every state shown.
Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.models import Language, MailKind, Organiser, OrganiserRole
from app.organisers.bearer import issue_token
from app.web import i18n
from tests.browser import assert_accessible, screenshot
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields
from tests.fixtures.live_server import serving
from tests.letters import TICKET_CODE, html_with_inline_images, letter
from tests.ticket_reading import decode_qr

# A real Chromium on a live server: seconds a test.
pytestmark = pytest.mark.slow

FILL_TIME = 5  # seconds "spent" filling the form, on the server's fake clock


# What an attendee needs at the door, as the bundled event has it.
DOOR = {
    "contact_email": "sideevent@jmdi.example",
    "entrance": "Visitors' entrance, 46th Street and First Avenue, New York, NY 10017",
    "arrival_instructions": "Bring a government-issued photo ID. Arrive at least 45 minutes "
    "early: everyone passes a security screening.",
}


@dataclass(frozen=True)
class LiveSite:
    url: str
    admin_headers: dict[str, str]
    """An owner's bearer token, to decline or check in as organisers do."""


@pytest.fixture(scope="module")
async def live_site(
    make_database: Callable[[], Awaitable[str]],
    live_clock: FakeClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LiveSite]:
    database_url = await make_database()
    engine = create_engine(database_url, pool_size=1)
    now = live_clock.now()
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_event(session, event_fields(**DOOR), now=now)
        # For the result pages without a seat: full (waitlist) and reviewed first.
        await seed_event(session, event_fields(slug="full-event", capacity=0, **DOOR), now=now)
        await seed_event(
            session, event_fields(slug="reviewed-event", approval_required=True, **DOOR), now=now
        )
        await seed_event(
            session,
            event_fields(slug="closed-event", registration_closes_at=now - timedelta(days=1)),
            now=now,
        )
        owner = Organiser(
            email="owner@jmdi.example", role=OrganiserRole.owner, password_hash="-", created_at=now
        )
        session.add(owner)
        await session.flush()
        issued = await issue_token(session, organiser=owner, now=now, lifetime=timedelta(days=30))
    await engine.dispose()
    with serving(database_url, live_clock, tmp_path_factory.mktemp("live-data")) as url:
        yield LiveSite(url=url, admin_headers={"Authorization": f"Bearer {issued.token}"})


@pytest.fixture(scope="module")
def live_url(live_site: LiveSite) -> str:
    return live_site.url


def fill_form(page: Page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#given_name", "Ana")
    page.fill("#family_name", "Quispe")
    page.fill("#organisation", "Municipality of Cuenca")
    page.select_option("#affiliation_type", "local_government")
    page.select_option("#country", "EC")
    page.check("#has_un_grounds_pass-no")
    page.check("#consent")


def send(page: Page, clock: FakeClock) -> None:
    clock.advance(seconds=FILL_TIME)
    page.click("form button[type=submit]")


def sign_up(
    page: Page, clock: FakeClock, lang: str = "en", slug: str = "side-event", email: str = ""
) -> str:
    """Sign up through the form; returns the manage token from the result page's address."""
    page.goto(f"/events/{slug}?lang={lang}")
    fill_form(page, email or f"{uuid.uuid4().hex[:10]}@example.org")
    send(page, clock)
    expect(page).to_have_url(re.compile(r"/r/[^/?]+\?done=signed-up$"))
    return token_in(page.url)


_TOKEN = re.compile(r"/r/([^/?]+)")


def token_in(url: str) -> str:
    found = _TOKEN.search(url)
    assert found, url
    return found.group(1)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_sign_up_through_the_form_and_see_the_confirmation(
    page: Page, live_clock: FakeClock, lang: str
) -> None:
    page.goto(f"/events/side-event?lang={lang}")
    assert_accessible(page)
    fill_form(page, f"{lang}-{uuid.uuid4().hex[:8]}@example.org")
    send(page, live_clock)

    status = page.locator("#status")
    expect(status).to_contain_text("Your place is confirmed" if lang == "en" else "تم تأكيد مكانك")
    expect(page.locator(".ticket img")).to_be_visible()
    # Visible is not loaded: wait for the image's decoding (it rejects a broken one).
    assert (
        page.locator(".ticket img").evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    )
    assert_accessible(page)
    page.screenshot(path=screenshot(f"result-{lang}-1280.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_errors_show_a_focused_summary_and_keep_values(
    page: Page, live_clock: FakeClock, lang: str
) -> None:
    page.goto(f"/events/side-event?lang={lang}")
    page.fill("#email", "not-an-address")
    page.fill("#family_name", "Quispe")
    page.select_option("#country", "GR")
    send(page, live_clock)

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert summary.locator("a").count() == 6
    expect(page.locator("#email")).to_have_value("not-an-address")
    expect(page.locator("#family_name")).to_have_value("Quispe")
    expect(page.locator("#country")).to_have_value("GR")
    assert_accessible(page)

    page.screenshot(path=screenshot(f"errors-{lang}-1280.png"), full_page=True)

    summary.locator("a[href='#given_name']").click()
    expect(page.locator("#given_name")).to_be_focused()
    # Focus is visible: the yellow outline of the stylesheet.
    assert page.locator("#given_name").evaluate("e => getComputedStyle(e).outlineStyle") == "solid"


def gettext(lang: str) -> Callable[[str], str]:
    return i18n.translations(Language(lang)).gettext


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_cancel_through_the_manage_page(page: Page, live_clock: FakeClock, lang: str) -> None:
    _ = gettext(lang)
    sign_up(page, live_clock, lang)
    page.locator("#main a[href$='/cancel']").click()
    expect(page.locator("h1")).to_have_text(_("Are you sure you want to cancel your registration?"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"cancel-{lang}-1280.png"), full_page=True)
    page.get_by_role("button", name=_("Yes, cancel my registration")).click()

    expect(page.locator("[role=status]")).to_have_text(_("Your registration has been cancelled."))
    expect(page.locator("#status h1")).to_have_text(_("Your registration is cancelled"))
    expect(page.locator("a[href$='/cancel']")).to_have_count(0)
    # The way back to register again, inside the status panel.
    expect(page.locator("#status a[href^='/events/side-event']")).to_have_text(_("Register again"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"cancelled-{lang}-1280.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_edit_through_the_manage_page(page: Page, live_clock: FakeClock, lang: str) -> None:
    _ = gettext(lang)
    sign_up(page, live_clock, lang)
    page.locator("#main a[href$='/edit']").click()
    assert_accessible(page)
    page.screenshot(path=screenshot(f"edit-{lang}-1280.png"), full_page=True)
    page.fill("#job_title", "Mayor")
    page.get_by_role("button", name=_("Save changes")).click()
    expect(page.locator("[role=status]")).to_have_text(_("Your details have been updated."))
    expect(page.locator("main")).to_contain_text("Mayor")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_send_a_colleague_instead_through_the_manage_page(
    page: Page, live_clock: FakeClock, lang: str
) -> None:
    _ = gettext(lang)
    token = sign_up(page, live_clock, lang)
    page.locator("#main a[href$='/substitute']").click()
    expect(page.locator("h1")).to_have_text(_("Send a colleague instead"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"substitute-{lang}-1280.png"), full_page=True)

    # Sent empty: the summary takes the focus and names the colleague's fields.
    page.get_by_role("button", name=_("Give my place to my colleague")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#email']")).to_have_text(
        _("Enter your colleague’s e-mail address")
    )
    assert_accessible(page)
    page.screenshot(path=screenshot(f"substitute-errors-{lang}-1280.png"), full_page=True)

    colleague = f"colleague-{uuid.uuid4().hex[:8]}@example.org"
    page.fill("#email", colleague)
    page.fill("#given_name", "Rosa")
    page.fill("#family_name", "Guamán")
    page.select_option("#affiliation_type", "local_government")
    page.check("#has_un_grounds_pass-no")
    page.check("#consent")
    page.get_by_role("button", name=_("Give my place to my colleague")).click()

    expect(page).to_have_url(re.compile(r"\?done=substituted$"))
    expect(page.locator("[role=status]")).to_contain_text(
        _(
            "Your place has been passed to your colleague, and your registration is "
            "cancelled. We have e-mailed them the link to their own registration."
        )
    )
    expect(page.locator("#status h1")).to_have_text(_("Your registration is cancelled"))
    expect(page.locator("a[href$='/substitute']")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshot(f"substituted-{lang}-1280.png"), full_page=True)
    assert own(page, token)["status"] == "cancelled"


@pytest.mark.parametrize(
    "slug,heading",
    [
        ("full-event", "You are number %(position)s on the waitlist"),
        ("reviewed-event", "Your registration is waiting for approval"),
    ],
)
def test_result_pages_without_a_seat_are_accessible(
    page: Page, live_clock: FakeClock, slug: str, heading: str
) -> None:
    sign_up(page, live_clock, slug=slug)
    expect(page.locator("#status h1")).to_have_text(re.compile(heading.split("%")[0]))
    expect(page.locator("a[href$='/calendar.ics']")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshot(f"result-{slug}-1280.png"), full_page=True)


def test_switch_to_french_and_to_arabic(page: Page) -> None:
    page.goto("/events/side-event")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("a[hreflang=fr]")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("label[for=email]")).to_contain_text("Adresse e-mail")
    expect(page.locator("#language")).to_have_value("fr")

    page.click("a[hreflang=ar]")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The form starts at the right-hand edge.
    box = page.locator("#email").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] > page.viewport_size["width"] / 2  # type: ignore[index]

    page.goto("/events/side-event")  # the cookie remembers the choice
    expect(page.locator("html")).to_have_attribute("lang", "ar")


def test_pages_work_with_javascript_off_and_their_own_csp(
    chromium: Browser, live_url: str, live_clock: FakeClock
) -> None:
    context = chromium.new_context(base_url=live_url, java_script_enabled=False)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    try:
        sign_up(page, live_clock)
        expect(page.locator("#status h1")).to_have_text("Your place is confirmed")
        # The stylesheet loaded under the page's CSP: the panel is green.
        colour = page.locator("#status").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(0, 112, 60)"
        assert not [text for text in blocked if "Content Security Policy" in text]
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_form_fits_phone_and_desktop_and_is_photographed(page: Page, lang: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/events/side-event?lang={lang}")
        page.screenshot(path=screenshot(f"form-{lang}-{width}.png"), full_page=True)
    # WCAG reflow: at 320 CSS pixels (1280 at 400% zoom) nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


# The attendee's whole journey, in every language, and the e-mails.

LANGUAGES = [language.value for language in Language]


def own(page: Page, token: str) -> dict[str, Any]:
    response = page.request.get(f"/api/registrations/{token}")
    assert response.ok
    body: dict[str, Any] = response.json()
    return body


def expect_outcome(page: Page, lang: str, heading: str) -> None:
    """The result page's heading says the outcome, is focused, and leads the title."""
    h1 = page.locator("#status h1")
    expect(h1).to_have_text(heading)
    expect(h1).to_be_focused()
    assert page.title().startswith(heading)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_and_state_is_accessible(
    page: Page, live_site: LiveSite, live_clock: FakeClock, lang: str
) -> None:
    _ = i18n.translations(Language(lang)).gettext
    admin = live_site.admin_headers

    # The event page, with where to go and whom to ask.
    page.goto(f"/events/side-event?lang={lang}")
    expect(page.locator("main")).to_contain_text(DOOR["entrance"])
    expect(page.locator("main a[href='mailto:sideevent@jmdi.example']")).to_be_visible()
    assert_accessible(page)

    # The form's errors; a jump from the summary keeps the question in view.
    send(page, live_clock)
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)
    page.locator(".error-summary a[href='#has_un_grounds_pass']").click()
    expect(page.locator("#has_un_grounds_pass")).to_be_focused()
    legend = page.locator("#has_un_grounds_pass").locator("xpath=ancestor::fieldset/legend")
    box = legend.bounding_box()
    assert box is not None and box["y"] >= 0, "the question scrolled out of view"
    # The radio's focus ring: dark (21:1 on white), 3 px.
    ring = page.locator("#has_un_grounds_pass").evaluate(
        "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineColor,"
        " getComputedStyle(e).outlineWidth]"
    )
    assert ring == ["solid", "rgb(11, 12, 12)", "3px"]

    # Confirmed: the result page says so, and offers the ticket and its PDF.
    email = f"{lang}-{uuid.uuid4().hex[:8]}@example.org"
    fill_form(page, email)
    send(page, live_clock)
    expect(page).to_have_url(re.compile(r"\?done=signed-up$"))
    token = token_in(page.url)
    expect_outcome(page, lang, _("Your place is confirmed"))
    expect(page.locator(f"a[href='/api/registrations/{token}/ticket.pdf']")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/r/{token}?lang={lang}")
    assert_accessible(page)

    # The edit page; with the form's cookie lost, the 403 keeps what was typed.
    page.goto(f"/r/{token}/edit?lang={lang}")
    assert_accessible(page)
    page.fill("#job_title", "Mayor")
    page.context.clear_cookies()
    page.locator("form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#job_title")).to_have_value("Mayor")
    assert_accessible(page)

    # A second sign-up with the same address: told honestly, with a way onward.
    page.goto(f"/events/side-event?lang={lang}")
    fill_form(page, email)
    send(page, live_clock)
    expect(page.locator("h1")).to_have_text(_("You are already registered"))
    expect(page.locator("#onward")).to_have_attribute("href", f"/events/side-event?lang={lang}")
    assert_accessible(page)

    # Checked in: the pages stop asking for the ticket; cancelling is refused kindly.
    code = own(page, token)["ticket_code"]
    checked = page.request.post(
        "/api/admin/events/side-event/check-in", headers=admin, data={"ticket_code": code}
    )
    assert checked.ok, checked.text()
    page.goto(f"/r/{token}?lang={lang}")
    expect(page.locator("#status h1")).to_have_text(_("You have checked in"))
    expect(page.locator(".ticket")).to_have_count(0)
    assert_accessible(page)
    page.goto(f"/r/{token}/cancel?lang={lang}")
    expect(page.locator("#onward")).to_have_attribute("href", f"/r/{token}?lang={lang}")
    assert_accessible(page)

    # Cancelling a second registration: the question, then the cancelled page.
    other = sign_up(page, live_clock, lang, "side-event", f"c-{uuid.uuid4().hex[:8]}@example.org")
    page.goto(f"/r/{other}/cancel?lang={lang}")
    assert_accessible(page)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#status h1")).to_have_text(_("Your registration is cancelled"))
    assert_accessible(page)

    # Waitlisted at position N, and awaiting approval, then declined.
    sign_up(page, live_clock, lang, "full-event", f"w-{uuid.uuid4().hex[:8]}@example.org")
    heading = page.locator("#status h1").inner_text()
    assert re.search(r"\d", heading), heading
    assert page.title().startswith(heading)
    expect(page.locator("#status h1")).to_be_focused()
    expect(page.locator("#status a[href^='mailto:']")).to_be_visible()
    assert_accessible(page)
    reviewed = sign_up(
        page, live_clock, lang, "reviewed-event", f"r-{uuid.uuid4().hex[:8]}@example.org"
    )
    expect_outcome(page, lang, _("Your registration is waiting for approval"))
    assert_accessible(page)
    registration_id = own(page, reviewed)["id"]
    declined = page.request.post(
        f"/api/admin/events/reviewed-event/registrations/{registration_id}/decline", headers=admin
    )
    assert declined.ok, declined.text()
    page.goto(f"/r/{reviewed}?lang={lang}")
    expect(page.locator("#status h1")).to_have_text(_("Your registration was not accepted"))
    expect(page.locator("#status a[href^='mailto:']")).to_be_visible()
    assert_accessible(page)

    # A closed event, and addresses that lead nowhere: pages with a way onward.
    page.goto(f"/events/closed-event?lang={lang}")
    assert_accessible(page)
    for path in ("/events", "/r/", "/nope", "/r/not-a-token", "/events/no-such-event"):
        response = page.goto(f"{path}?lang={lang}")
        assert response is not None and response.status == 404, path
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#onward")).to_have_attribute("href", f"/events/side-event?lang={lang}")
        assert_accessible(page)


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_the_result_page_fits_phone_and_desktop_with_large_text(
    page: Page, live_clock: FakeClock, lang: str
) -> None:
    token = sign_up(page, live_clock, lang, "side-event", f"s-{uuid.uuid4().hex[:8]}@example.org")
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/r/{token}?done=signed-up&lang={lang}")
        page.screenshot(path=screenshot(f"result-{lang}-{width}.png"), full_page=True)
    # 320 px with text at 200%: the summary lists reflow, nothing scrolls sideways.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.screenshot(path=screenshot(f"result-{lang}-320-text200.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    if lang == "ar":
        # Values written left to right (the e-mail address) sit against their labels.
        page.set_viewport_size({"width": 1280, "height": 900})
        gap = page.locator(".summary-list dd[dir=ltr]").first.evaluate(
            """dd => { const range = document.createRange(); range.selectNodeContents(dd);
                       const text = range.getBoundingClientRect();
                       return dd.getBoundingClientRect().right - text.right; }"""
        )
        assert abs(gap) < 2


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_every_e_mail_kind_is_accessible(page: Page, kind: MailKind, lang: str) -> None:
    page.set_content(html_with_inline_images(letter(kind, lang, DOOR)))
    assert_accessible(page)
    # The manage button's white text on its blue: 4.5:1 at least (axe checks it too).
    if page.locator("a[style*='background']").count():
        colours = page.locator("a[style*='background']").evaluate(
            "a => [getComputedStyle(a).color, getComputedStyle(a).backgroundColor]"
        )
        assert colours == ["rgb(255, 255, 255)", "rgb(0, 94, 145)"]


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_the_confirmation_e_mail_shows_its_ticket_and_is_photographed(
    page: Page, lang: str
) -> None:
    message = letter(MailKind.confirmed, lang, DOOR)
    page.set_content(html_with_inline_images(message))
    image = page.locator("img[alt*='T1ck3tC0de']")
    expect(image).to_be_visible()
    png = image.screenshot()
    assert decode_qr(png) == [TICKET_CODE]
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=screenshot(f"email-confirmed-{lang}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width


# The invitee's RSVP pages: accept, decline and delegate, in English and Arabic.


def invitation_path(page: Page, live_site: LiveSite, **fields: Any) -> str:
    """A new invitation to the side-event, made through the organisers' API: its /i/ path."""
    body = {
        "email": f"mayor-{uuid.uuid4().hex[:8]}@example.org",
        "given_name": "Ada",
        "family_name": "Colau",
        "organisation": "City of Barcelona",
        "affiliation_type": "local_government",
        "message": "We would be honoured by your presence.\nThe Mayor of Cuenca speaks too.",
    }
    response = page.request.post(
        "/api/admin/events/side-event/invitations",
        data=body | fields,
        headers=live_site.admin_headers,
    )
    assert response.status == 201, response.text()
    return "/i/" + str(response.json()["rsvp_url"]).rsplit("/", 1)[1]


def open_invitation(page: Page, path: str, lang: str) -> None:
    page.goto(f"{path}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_accept_an_invitation_with_a_guest(page: Page, live_site: LiveSite, lang: str) -> None:
    _ = gettext(lang)
    path = invitation_path(page, live_site, companions_allowed=2)
    open_invitation(page, path, lang)
    expect(page.locator("h1")).to_have_text(_("Your invitation"))
    expect(page.locator("#organisers-note")).to_contain_text("We would be honoured")
    expect(page.locator("#given_name")).to_have_value("Ada")
    expect(page.locator("input[name=email]")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-invitation-{lang}-1280.png"), full_page=True)

    # A guest named only in part: the summary takes the focus and names the field.
    page.fill("#companion_1_given_name", "Pau")
    page.get_by_role("button", name=_("Accept the invitation")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#companion_1_family_name']")).to_have_text(
        _("Enter your guest’s family name")
    )
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-errors-{lang}-1280.png"), full_page=True)

    page.fill("#companion_1_family_name", "Serra")
    page.check("#companion_1_has_un_grounds_pass-no")
    page.check("#has_un_grounds_pass-no")
    page.check("#consent")
    page.get_by_role("button", name=_("Accept the invitation")).click()
    expect(page).to_have_url(re.compile(r"/r/[^/?]+\?done=accepted$"))
    expect(page.locator("#status h1")).to_have_text(_("Your place is confirmed"))
    expect(page.locator("#guests")).to_contain_text("Pau Serra")
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-accepted-{lang}-1280.png"), full_page=True)

    # The guest is removed from the manage page, without JavaScript.
    page.get_by_role("button", name=_("Remove %(name)s") % {"name": "Pau Serra"}).click()
    expect(page.locator("[role=status]")).to_have_text(
        _("Your guest has been removed, and their place freed.")
    )
    expect(page.locator("#guests")).to_contain_text(_("removed"))
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_decline_an_invitation_with_a_note(page: Page, live_site: LiveSite, lang: str) -> None:
    _ = gettext(lang)
    path = invitation_path(page, live_site)
    open_invitation(page, path, lang)
    page.locator(f"a[href='{path}/decline']").click()
    expect(page.locator("h1")).to_have_text(_("Decline the invitation"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-decline-{lang}-1280.png"), full_page=True)
    page.fill("#note", "Travelling that week; our deputy mayor could come.")
    page.get_by_role("button", name=_("Decline the invitation")).click()

    expect(page).to_have_url(re.compile(r"\?done=declined$"))
    heading = page.locator("#status h1")
    expect(heading).to_have_text(_("You have declined this invitation"))
    expect(heading).to_be_focused()
    expect(page.locator("#contact a[href='mailto:sideevent@jmdi.example']")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-declined-{lang}-1280.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_send_a_delegate_in_ones_place(page: Page, live_site: LiveSite, lang: str) -> None:
    _ = gettext(lang)
    path = invitation_path(page, live_site)
    open_invitation(page, path, lang)
    page.locator(f"a[href='{path}/delegate']").click()
    expect(page.locator("h1")).to_have_text(_("Send someone in your place"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-delegate-{lang}-1280.png"), full_page=True)

    page.fill("#email", f"deputy-{uuid.uuid4().hex[:8]}@example.org")
    page.fill("#given_name", "Jordi")
    page.fill("#family_name", "Martí")
    page.get_by_role("button", name=_("Send them the invitation")).click()

    expect(page).to_have_url(re.compile(r"\?done=delegated$"))
    expect(page.locator("#status h1")).to_have_text(_("You have passed this invitation on"))
    expect(page.locator("#status")).to_contain_text("Jordi Martí")
    assert_accessible(page)
    page.screenshot(path=screenshot(f"rsvp-delegated-{lang}-1280.png"), full_page=True)
