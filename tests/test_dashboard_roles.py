"""The dashboard in a real browser, for each role: sign in, the overview, the table's
filters and search, approving, the check-in desk, exports, signing out.

Headless Chromium driven by Playwright (tests/browser.py: its launch and
axe-core check), on a live server with a database of its own. axe-core
checks WCAG 2.1 A and AA on every page and state, in English and in French,
with the page's `lang` and `dir`. Screenshots of the table and the desk go to
test-artifacts/screenshots/.
"""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from app.events.seed import seed_event
from app.events.service import get_event
from app.kit.db import create_engine, create_sessionmaker
from app.kit.secrets import signing_key
from app.models import Organiser, OrganiserRole, RegistrationStatus
from app.organisers.passwords import hash_password
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import new_registration
from app.tickets.code import ticket_code
from tests.browser import assert_accessible, screenshot
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import ORGANISER_PASSWORD, event_fields, signup_body
from tests.fixtures.live_browser import check_page, sign_in
from tests.fixtures.live_server import live_settings, serving

pytestmark = pytest.mark.slow

ROLES = ["owner", "staff", "viewer"]
LANGUAGES = ["en", "fr"]
SLUG = "side-event"
ADMIN = f"/admin/events/{SLUG}"


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str
    code: str


@dataclass(frozen=True)
class Cast:
    """Who each run meets: a registration awaiting approval, and two confirmed guests."""

    email: str
    pending: Person
    guests: tuple[Person, Person]


@dataclass(frozen=True)
class DashboardSite:
    url: str
    casts: dict[str, Cast]
    """By "role-lang": each run its own organiser and people."""


@pytest.fixture(scope="module")
def live_clock() -> FakeClock:
    return FakeClock(datetime(2013, 10, 4, 21, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
async def dashboard_site(
    make_database: Callable[[], Awaitable[str]],
    live_clock: FakeClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DashboardSite]:
    database_url = await make_database()
    data_dir = tmp_path_factory.mktemp("dashboard-data")
    key = signing_key(live_settings(database_url, data_dir))
    engine = create_engine(database_url, pool_size=1)
    now = live_clock.now()
    casts: dict[str, Cast] = {}
    password_hash = hash_password(ORGANISER_PASSWORD)
    async with create_sessionmaker(engine)() as session, session.begin():
        await seed_event(session, event_fields(approval_required=True), now=now)
        event = await get_event(session, SLUG, lock=True)

        async def person(given: str, family: str, status: RegistrationStatus) -> Person:
            data = RegistrationCreate.model_validate(
                signup_body(given_name=given, family_name=family)
            )
            registration = await new_registration(
                session, event=event, data=data, status=status, now=now, ticket_key=key
            )
            session.add(registration)
            await session.flush()
            return Person(registration.id, f"{given} {family}", ticket_code(registration.id, key))

        for role in ROLES:
            for lang in LANGUAGES:
                tag = f"{role}{lang}".capitalize()
                email = f"{role}-{lang}@jmdi.example"
                session.add(
                    Organiser(
                        email=email,
                        role=OrganiserRole(role),
                        password_hash=password_hash,
                        created_at=now,
                    )
                )
                casts[f"{role}-{lang}"] = Cast(
                    email=email,
                    pending=await person("Okafor", tag, RegistrationStatus.pending_approval),
                    guests=(
                        await person("Amina", tag, RegistrationStatus.confirmed),
                        await person("Bruno", tag, RegistrationStatus.confirmed),
                    ),
                )
    await engine.dispose()
    with serving(database_url, live_clock, data_dir) as url:
        yield DashboardSite(url=url, casts=casts)


@pytest.fixture(scope="module")
def live_url(dashboard_site: DashboardSite) -> str:
    return dashboard_site.url


def csrf_token(page: Page) -> str:
    """The token of the page's first form (the sign-out form is on every page)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    return token


def filter_and_search(page: Page, cast: Cast, lang: str) -> None:
    page.goto(f"{ADMIN}/registrations")
    check_page(page, lang)
    page.check("#status-pending_approval")
    page.fill("#q", cast.pending.name)
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("#registrations tbody tr")).to_have_count(1)
    expect(page.locator(f"#r-{cast.pending.id}")).to_be_visible()
    expect(page.locator("#status-pending_approval")).to_be_checked()
    check_page(page, lang)


def approve(page: Page, cast: Cast, role: str, lang: str) -> None:
    row = page.locator(f"#r-{cast.pending.id}")
    approve_button = row.locator("button[data-action=approve]")
    if role != "owner":
        expect(approve_button).to_have_count(0)
        expect(row.locator("form, a.button")).to_have_count(0)
        return
    approve_button.click()
    expect(page.locator("#done[role=status]")).to_contain_text(cast.pending.name)
    # Back on the same filtered table: the approved registration no longer awaits.
    expect(page.locator(f"#r-{cast.pending.id}")).to_have_count(0)
    check_page(page, lang)
    page.goto(f"{ADMIN}/registrations?q={cast.pending.name}")
    expect(page.locator(f"#r-{cast.pending.id} .stage--confirmed")).to_be_visible()
    page.screenshot(path=screenshot(f"dashboard-table-{lang}-1280.png"), full_page=True)

    # Its page: the e-mails it was sent and the approval in its trail.
    page.locator(f"#r-{cast.pending.id} a").first.click()
    expect(page.locator("h1")).to_have_text(cast.pending.name)
    expect(page.locator("#trail")).to_contain_text("registration.approve")
    expect(page.locator("#emails tbody tr")).not_to_have_count(0)
    check_page(page, lang)
    page.screenshot(path=screenshot(f"dashboard-registration-{lang}-1280.png"), full_page=True)

    # Cancelling asks first; going back changes nothing.
    page.locator("a.button--warning[href*='/cancel']").click()
    expect(page.locator("h1")).to_contain_text(cast.pending.name)
    check_page(page, lang)
    page.locator("#back").click()
    expect(page.locator("#stage")).to_have_class(re.compile("stage--confirmed"))


def scan(page: Page, code: str) -> None:
    page.fill("#code", code)
    page.press("#code", "Enter")


def check_in_at_the_desk(page: Page, cast: Cast, role: str, lang: str) -> None:
    page.goto(f"{ADMIN}/desk")
    check_page(page, lang)
    if role == "viewer":
        expect(page.locator("#code")).to_have_count(0)
        forged = page.request.post(
            f"{ADMIN}/desk", form={"csrf_token": csrf_token(page), "code": cast.guests[0].code}
        )
        assert forged.status == 403
        approve_forged = page.request.post(
            f"{ADMIN}/registrations/{cast.pending.id}/approve",
            form={"csrf_token": csrf_token(page)},
        )
        assert approve_forged.status == 403
        return
    expect(page.locator("html[data-desk-ready]")).to_have_count(1)
    expect(page.locator("#code")).to_be_focused()
    # With JavaScript the page never reloads: this mark on the window survives.
    page.evaluate("window.deskMark = 'same page'")
    first, second = cast.guests
    result = page.locator("#scan-result")
    scan(page, first.code)
    expect(result.locator(".scan--welcome")).to_contain_text(first.name)
    expect(page.locator("#code")).to_be_focused()
    expect(page.locator("#code")).to_have_value("")
    check_page(page, lang)
    scan(page, second.code)
    expect(result.locator(".scan--welcome")).to_contain_text(second.name)
    scan(page, first.code)
    expect(result.locator(".scan--already_checked_in")).to_contain_text(first.name)
    # Words and an icon besides the colour.
    expect(result.locator(".scan__title")).not_to_be_empty()
    expect(result.locator("svg.scan__icon")).to_have_count(1)
    check_page(page, lang)
    assert page.evaluate("window.deskMark") == "same page"
    page.screenshot(path=screenshot(f"dashboard-desk-{lang}-1280.png"), full_page=True)


def overview_with_charts(page: Page, lang: str) -> None:
    """The event's overview: its five charts drawn (SVG images) and visible."""
    page.goto(ADMIN)
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(5)
    for chart in charts.all():
        expect(chart).to_be_visible()
    check_page(page, lang)


def export(page: Page, cast: Cast, lang: str) -> None:
    """The exports page: the attendee CSV downloads, the cast's guests in it."""
    page.goto(f"{ADMIN}/exports")
    check_page(page, lang)
    with page.expect_download() as download:
        page.locator("form[action$='/exports/registrations.csv'] button[type=submit]").click()
    assert download.value.suggested_filename.endswith(".csv")
    csv_text = download.value.path().read_text(encoding="utf-8-sig")
    for guest in cast.guests:
        given, family = guest.name.split(" ", 1)
        assert any(given in row and family in row for row in csv_text.splitlines()[1:])


def sign_out(page: Page, lang: str) -> None:
    page.locator("form[action='/admin/sign-out'] button").click()
    expect(page).to_have_url(re.compile(r"/admin(/sign-in)?(\?.*)?$"))
    expect(page.locator("#password")).to_be_visible()
    check_page(page, lang)
    page.goto(f"{ADMIN}/registrations")
    expect(page).to_have_url(re.compile(r"/admin/sign-in\?next="))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_through_the_dashboard(
    page: Page, dashboard_site: DashboardSite, role: str, lang: str
) -> None:
    cast = dashboard_site.casts[f"{role}-{lang}"]
    sign_in(page, cast.email, lang, checked=True)
    overview_with_charts(page, lang)
    filter_and_search(page, cast, lang)
    approve(page, cast, role, lang)
    check_in_at_the_desk(page, cast, role, lang)
    export(page, cast, lang)
    sign_out(page, lang)


def test_the_desk_without_javascript_and_under_its_own_csp(
    chromium: Browser, dashboard_site: DashboardSite
) -> None:
    """A scan is a form post answered by the desk again, its input focused for the next."""
    context = chromium.new_context(base_url=dashboard_site.url, java_script_enabled=False)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        sign_in(page, dashboard_site.casts["staff-en"].email, "en")
        page.goto(f"{ADMIN}/desk")
        scan(page, "not-a-ticket")
        expect(page).to_have_url(re.compile(r"/desk$"))
        expect(page.locator("#scan-result .scan--unknown")).to_be_visible()
        expect(page.locator("#code")).to_be_focused()
        # The stylesheet loaded under the page's CSP: the panel is black, its text white.
        colours = page.locator(".scan--unknown").evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
        )
        assert colours == ["rgb(11, 12, 12)", "rgb(255, 255, 255)"]
        assert not [text for text in console if "Content Security Policy" in text]
    finally:
        context.close()


def test_the_desk_reads_right_to_left(page: Page, dashboard_site: DashboardSite) -> None:
    sign_in(page, dashboard_site.casts["owner-en"].email, "ar")
    page.goto(f"{ADMIN}/desk")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The input starts at the right-hand edge.
    box = page.locator("#code").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] > page.viewport_size["width"] / 2  # type: ignore[index]
    assert_accessible(page)


def test_the_table_and_desk_reflow_to_320_pixels(page: Page, dashboard_site: DashboardSite) -> None:
    sign_in(page, dashboard_site.casts["viewer-en"].email, "en")
    page.set_viewport_size({"width": 320, "height": 900})
    for path in (f"{ADMIN}/registrations", f"{ADMIN}/desk"):
        page.goto(path)
        # The table scrolls inside its own region; the page itself does not.
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
