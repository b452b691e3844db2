"""The dashboard in a real browser: Chromium signs in, looks at the events, the
overview's charts, the exports and the audit log, in English and French (and the
overview in Arabic, right to left), with axe-core checking WCAG 2.1 A and AA on
each page; screenshots of the overview go to test-artifacts/screenshots/.
"""

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.dashboard.rendering import translations
from app.models import Language
from tests.browser import assert_accessible, screenshot
from tests.fixtures.dashboard_site import OVERVIEW, OWNER, VIEWER, Site
from tests.fixtures.factories import signup_body
from tests.fixtures.live_browser import sign_in

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_is_accessible_in_english_and_french(page: Page, lang: str) -> None:
    _ = translations(Language(lang)).gettext
    page.goto(f"/admin?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text(_("Sign in"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"dashboard-sign-in-{lang}-1280.png"), full_page=True)

    page.fill("#email", OWNER)
    page.fill("#password", "not the password")
    page.get_by_role("button", name=_("Sign in")).click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text(_("Wrong e-mail address or password."))
    assert_accessible(page)

    sign_in(page, OWNER, lang)
    expect(page.locator("h1")).to_have_text(_("Events"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"dashboard-events-{lang}-1280.png"), full_page=True)

    page.locator("main a[href='/admin/events/side-event']").click()
    expect(page.locator("[data-figure=checked_in]")).to_have_text("7")
    for svg in page.locator("svg[role=img]").all():
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 20
    page.locator("#chart-status summary").click()
    expect(page.locator("#chart-status table")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshot(f"dashboard-overview-{lang}-1280.png"), full_page=True)

    page.get_by_role("link", name=_("Exports")).click()
    expect(page.locator("h1")).to_have_text(_("Exports"))
    assert_accessible(page)
    page.screenshot(path=screenshot(f"dashboard-exports-{lang}-1280.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name=_("Download the CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")

    page.get_by_role("link", name=_("Audit"), exact=True).click()
    expect(page.locator("h1")).to_have_text(_("Audit log"))
    expect(page.locator("main")).to_contain_text("event.export_csv")
    assert_accessible(page)
    page.screenshot(path=screenshot(f"dashboard-audit-{lang}-1280.png"), full_page=True)

    page.get_by_role("button", name=_("Sign out")).click()
    expect(page.locator("[role=status]")).to_have_text(_("You have signed out."))
    assert_accessible(page)
    page.goto(OVERVIEW)
    expect(page).to_have_url(re.compile(r"/admin/sign-in\?next="))


def test_the_arabic_overview_reads_right_to_left(page: Page) -> None:
    sign_in(page, VIEWER, "ar")
    page.goto(f"{OVERVIEW}?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The menu starts at the right-hand edge.
    first = page.locator(".dashboard-nav li").first.bounding_box()
    assert first is not None and first["x"] > page.viewport_size["width"] / 2  # type: ignore[index]
    assert_accessible(page)
    page.screenshot(path=screenshot("dashboard-overview-ar-1280.png"), full_page=True)


def test_the_overview_fits_a_phone(page: Page) -> None:
    sign_in(page, VIEWER)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(OVERVIEW)
    page.screenshot(path=screenshot("dashboard-overview-en-390.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_viewer_sees_no_desk_but_the_invitations(page: Page) -> None:
    sign_in(page, VIEWER)
    page.goto(OVERVIEW)
    expect(page.locator(".dashboard-nav a[href$='/desk']")).to_have_count(0)
    expect(page.locator(".dashboard-nav a[href$='/invitations']")).to_have_count(1)
    expect(page.locator(".dashboard-nav a[href$='/exports']")).to_have_count(1)


def test_the_figures_refresh_without_a_reload_under_the_csp(chromium: Browser, site: Site) -> None:
    """The app's own CSP (no bypass): the script loads and polls; nothing is blocked."""
    context = chromium.new_context(base_url=site.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.clock.install()
        sign_in(page, VIEWER)
        page.goto(OVERVIEW)
        confirmed = page.locator("[data-figure=confirmed]")
        before = int(confirmed.inner_text())
        marker = page.evaluate("() => { window.notReloaded = true; return true; }")
        assert marker
        created = httpx.post(
            f"{site.url}/api/events/side-event/registrations", json=signup_body(country="GH")
        )
        assert created.status_code == 201
        page.clock.run_for(16_000)
        expect(confirmed).to_have_text(str(before + 1))
        assert page.evaluate("window.notReloaded") is True
        assert not [text for text in console if "Content Security Policy" in text]
    finally:
        context.close()


def test_the_overview_is_whole_without_javascript(chromium: Browser, site: Site) -> None:
    context = chromium.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, VIEWER)
        page.goto(OVERVIEW)
        expect(page.locator("svg[role=img]")).to_have_count(5)
        expect(page.locator("[data-figure=capacity]")).to_have_text("120")
    finally:
        context.close()
