"""The attendee's pages in a real browser: headless Chromium driven by Playwright.

Each test gets a fresh browser context (no cookies) on one live server with a
database of its own. axe-core checks WCAG 2.1 A and AA on every state shown.
Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app.config import Settings
from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models import Language
from app.web import i18n
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import event_fields
from tests.fixtures.live_server import free_port, serve

# A real Chromium on a live server: seconds a test.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FILL_TIME = 5  # seconds "spent" filling the form, on the server's fake clock


def _chromium() -> str:
    """The system Chromium; missing, the tests skip locally and fail under CI."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    missing = [str(p) for p in (Path(path), AXE) if not p.exists()]
    if missing:
        reason = f"browser tests need {' and '.join(missing)}: see .ci/run"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def chromium(live_url: str) -> Iterator[Browser]:
    # Depends on live_url so that the server (set up on the tests' asyncio loop) starts
    # before Playwright's sync API takes over this thread's loop, and stops after it.
    path = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_clock() -> FakeClock:
    return FakeClock(datetime(2013, 9, 2, 14, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
async def live_url(
    make_database: Callable[[], Awaitable[str]],
    live_clock: FakeClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:
    database_url = await make_database()
    engine = create_engine(database_url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_event(session, event_fields(), now=live_clock.now())
        # For the result pages without a seat: full (waitlist) and reviewed first.
        await seed_event(session, event_fields(slug="full-event", capacity=0), now=live_clock.now())
        await seed_event(
            session,
            event_fields(slug="reviewed-event", approval_required=True),
            now=live_clock.now(),
        )
    await engine.dispose()
    port = free_port()
    settings = Settings(
        database_url=database_url,
        base_url=f"http://127.0.0.1:{port}",
        data_dir=tmp_path_factory.mktemp("live-data"),
        rate_limit_enabled=False,
        _env_file=None,
    )
    with serve(create_app(settings, clock=live_clock), port) as url:
        yield url


@pytest.fixture
def page(chromium: Browser, live_url: str) -> Iterator[Page]:
    # bypass_csp lets the test inject axe-core; the app's own CSP is tested below.
    context = chromium.new_context(base_url=live_url, bypass_csp=True)
    yield context.new_page()
    context.close()


def screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def assert_accessible(page: Page) -> None:
    page.add_script_tag(path=AXE)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]
    assert not problems, "\n".join(problems)
    assert len(result["passes"]) > 10, "axe-core checked next to nothing"


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


def sign_up(page: Page, clock: FakeClock, lang: str = "en", slug: str = "side-event") -> None:
    page.goto(f"/events/{slug}?lang={lang}")
    fill_form(page, f"{uuid.uuid4().hex[:10]}@example.org")
    send(page, clock)
    expect(page).to_have_url(re.compile(r"/r/[^/?]+\?done=signed-up$"))


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
    assert page.locator(".ticket img").evaluate("img => img.naturalWidth") > 0
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
