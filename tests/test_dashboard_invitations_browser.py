"""The invitations pages in a real browser (the live site of tests/fixtures/dashboard_site.py):
an owner invites someone, imports a CSV file whose bad row the preview names, fixes it
in the box and imports, then resends, withdraws and extends; a viewer sees no button
and a forged post from their browser is refused. axe-core checks WCAG 2.1 A and AA on
every page and state in English and French, and `dir` on the Arabic list; screenshots
go to test-artifacts/screenshots/.
"""

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import FilePayload, Page, expect

from app.dashboard.rendering import translations
from app.models import Language
from tests.browser import assert_accessible, screenshot
from tests.fixtures.clock import FakeClock
from tests.fixtures.dashboard_site import OWNER, VIEWER, Site
from tests.fixtures.invitations import invitation_body
from tests.fixtures.live_browser import sign_in

pytestmark = pytest.mark.slow

LIST = "/admin/events/side-event/invitations"
HEADER = "email,given_name,family_name,organisation,companions_allowed,language"


@pytest.fixture(scope="module", autouse=True)
def before_the_deadlines(site: Site, live_clock: FakeClock) -> None:
    """Three weeks before the event (the site's set-up ends at its door), so invitations
    may still be answered."""
    live_clock.current = datetime(2013, 9, 12, 14, 0, tzinfo=UTC)


def check(page: Page, lang: str, shot: str | None = None) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    assert_accessible(page)
    if shot:
        page.screenshot(path=screenshot(f"{shot}-{lang}-1280.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_owner_invites_imports_resends_withdraws_and_extends(page: Page, lang: str) -> None:
    _ = translations(Language(lang)).gettext
    sign_in(page, OWNER, lang)
    page.goto(LIST)
    page.get_by_role("link", name=_("Invite someone")).click()
    expect(page.locator("h1")).to_have_text(_("Invite someone"))
    check(page, lang)

    page.fill("#email", "not an address")
    page.fill("#given_name", "Ada")
    page.fill("#family_name", "Colau")
    page.get_by_role("button", name=_("Send the invitation")).click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#email-error")).to_contain_text(
        _("Enter an e-mail address in the correct format, like name@example.org")
    )
    check(page, lang, "dashboard-invitation-form-error")
    page.fill("#email", f"ada-{lang}@barcelona.example.org")
    page.fill("#companions_allowed", "1")
    page.get_by_role("button", name=_("Send the invitation")).click()
    expect(page.locator("#done")).to_contain_text(
        _("%(name)s was invited. The invitation is on its way by e-mail.") % {"name": "Ada Colau"}
    )
    expect(page.locator("#seats-held")).to_have_text("2")
    expect(page.locator("#emails tbody tr")).to_have_count(1)
    check(page, lang, "dashboard-invitation")

    # Resend: a second e-mail, with a new link.
    page.locator("button[data-action=resend]").click()
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#emails tbody tr")).to_have_count(2)
    check(page, lang)

    # Extend: a wrong date is told next to its field, then a good one is taken.
    page.fill("#respond_by", "2013-09-01T10:00")
    page.locator("button[data-action=extend]").click()
    expect(page.locator("#respond_by-error")).to_be_visible()
    check(page, lang)
    page.fill("#respond_by", "2013-10-02T18:00")
    page.locator("button[data-action=extend]").click()
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#respond-by time")).to_have_attribute(
        "datetime", "2013-10-02T22:00:00+00:00"
    )

    # Withdraw: asked first, then done, and no button is left.
    page.get_by_role("link", name=_("Withdraw the invitation")).click()
    expect(page.locator("h1")).to_have_text(
        _("Withdraw the invitation of %(name)s?") % {"name": "Ada Colau"}
    )
    check(page, lang, "dashboard-invitation-withdraw")
    page.get_by_role("button", name=_("Yes, withdraw the invitation")).click()
    expect(page.locator("#status")).to_have_text(_("Withdrawn"))
    expect(page.locator("button[data-action]")).to_have_count(0)

    # Import: the file's bad row is named and nothing is created ...
    page.goto(LIST)
    before = page.locator("#invitations tbody tr").count()
    page.get_by_role("link", name=_("Import a CSV file")).click()
    check(page, lang)
    good = f"amina-{lang}@mission.example.org,Amina,Diallo,Mission of Senegal,0,fr"
    bad = f"kofi-{lang}@example,Kofi,,,0,en"
    upload: FilePayload = {
        "name": "guests.csv",
        "mimeType": "text/csv",
        "buffer": f"{HEADER}\n{good}\n{bad}\n".encode(),
    }
    page.set_input_files("#csv_file", files=[upload])
    page.locator("#check").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#bad-rows tr[data-row='3'][data-field='family_name']")).to_have_count(1)
    expect(page.locator("#bad-rows tr[data-row='3'][data-field='email']")).to_have_count(1)
    expect(page.locator("#confirm")).to_have_count(0)
    check(page, lang, "dashboard-invitation-import-errors")
    # ... fixed in the box, checked again, then imported.
    fixed = f"kofi-{lang}@example.org,Kofi,Annan,,0,en"
    page.fill("#csv_text", f"{HEADER}\n{good}\n{fixed}\n")
    page.locator("#check").click()
    expect(page.locator("#ready")).to_be_visible()
    check(page, lang, "dashboard-invitation-import-preview")
    page.locator("#confirm").click()
    expect(page).to_have_url(re.compile(r"/invitations\?done=imported$"))
    expect(page.locator("#invitations tbody tr")).to_have_count(before + 2)
    check(page, lang, "dashboard-invitations")


def test_a_viewer_reads_but_has_no_button_and_a_forged_post_is_refused(
    page: Page, site: Site
) -> None:
    made = httpx.post(
        f"{site.url}/api/admin/events/side-event/invitations",
        json=invitation_body(),
        headers=site.owner_headers,
    )
    assert made.status_code == 201, made.text
    invitation = made.json()["id"]
    sign_in(page, VIEWER, "fr")
    page.goto(LIST)
    expect(page.locator(f"#i-{invitation}")).to_be_visible()
    expect(page.locator(f"a[href='{LIST}/new']")).to_have_count(0)
    expect(page.locator(f"a[href='{LIST}/import']")).to_have_count(0)
    check(page, "fr")
    page.locator(f"#i-{invitation} a").click()
    expect(page.locator("#status")).to_have_text(
        translations(Language.fr).gettext("Waiting for an answer")
    )
    expect(page.locator("main button, main a.button")).to_have_count(0)
    check(page, "fr")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    forged = page.request.post(
        f"{LIST}/{invitation}/revoke", form={"csrf_token": token, "confirm": "yes"}
    )
    assert forged.status == 403


def test_the_arabic_list_reads_right_to_left(page: Page) -> None:
    sign_in(page, VIEWER, "ar")
    page.goto(f"{LIST}?lang=ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    check(page, "ar", "dashboard-invitations")
