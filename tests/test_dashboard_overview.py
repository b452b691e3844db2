"""An event's overview: its figures, its five charts with their tables, and the JSON
its script polls, all from the counters and tallies."""

import re
from datetime import UTC, datetime

import httpx
import pytest

from app.events.schemas import EventFields
from app.models import Organiser
from tests.fixtures.clock import FakeClock
from tests.fixtures.dashboard import SignedIn
from tests.fixtures.factories import MakeRegistration
from tests.html import parse

OVERVIEW = "/admin/events/side-event"


def table_rows(html: str, chart: str) -> list[list[str]]:
    """The rows (cell texts) of the table under the chart `chart` (its figure's id)."""
    found = re.search(rf'<figure class="chart" id="chart-{chart}">(.*?)</figure>', html, re.S)
    assert found, chart
    body = found.group(1).split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def fill(make_registration: MakeRegistration, clock: FakeClock) -> None:
    """Two days of sign-ups, then three arrivals at the door (New York, 4 October 2013)."""
    for _ in range(3):
        await make_registration("confirmed")
    await make_registration("confirmed", country="FR", affiliation_type="academia")
    await make_registration("waitlisted")
    await make_registration("cancelled")
    for at in ((16, 50), (17, 5), (17, 40)):  # 12:50, 13:05 and 13:40 at the venue
        clock.current = datetime(2013, 10, 4, *at, tzinfo=UTC)
        await make_registration("checked_in")


@pytest.fixture
async def filled_overview(
    signed_in: SignedIn,
    client: httpx.AsyncClient,
    event: EventFields,
    make_registration: MakeRegistration,
    clock: FakeClock,
) -> str:
    """The overview's HTML after `fill`, as a viewer sees it."""
    await fill(make_registration, clock)
    await signed_in("viewer")
    response = await client.get(OVERVIEW)
    assert response.status_code == 200
    return response.text


async def test_the_overview_shows_the_figures_from_the_counters(
    filled_overview: str, event: EventFields
) -> None:
    page = parse(filled_overview)
    assert page.one("h1").text == event.title
    figures = {dd.attrs["data-figure"]: dd.text for dd in page.find_all("dd")}
    assert figures == {
        "capacity": "120",
        "seats_left": "113",
        "held": "0",
        "confirmed": "7",
        "checked_in": "3",
        "waitlisted": "1",
        "pending_approval": "0",
    }
    assert page.one("dl", id="figures").attrs["aria-live"] == "polite"
    assert len(page.find_all("a", href=f"{OVERVIEW}/registrations")) == 2  # the menu and the page


async def test_each_chart_is_an_svg_with_a_text_alternative_and_a_table(
    filled_overview: str,
) -> None:
    html = filled_overview
    page = parse(html)
    charts = page.find_all("svg")
    assert [svg.attrs["aria-labelledby"] for svg in charts] == [
        f"{key}-title {key}-desc"
        for key in ("signups", "status", "affiliation", "countries", "checkins")
    ]
    assert all(svg.attrs["role"] == "img" for svg in charts)
    titles = [page.one("title", id=f"{key}-title").text for key in ("status", "checkins")]
    assert titles == ["Registrations by status", "Check-ins per hour, on the event's day"]
    assert page.one("desc", id="status-desc").text == ("Confirmed: 7, Waitlisted: 1, Cancelled: 1")
    assert page.one("desc", id="checkins-desc").text == (
        "3 check-ins; the busiest hour began at 13:00, with 2."
    )
    assert table_rows(html, "status") == [
        ["Confirmed", "7"],
        ["Waitlisted", "1"],
        ["Cancelled", "1"],
    ]
    assert table_rows(html, "signups") == [["2 Sept 2013", "6", "6"], ["4 Oct 2013", "3", "9"]]
    assert table_rows(html, "countries") == [["Ecuador", "7"], ["France", "1"]]
    assert ["Academia or research", "1"] in table_rows(html, "affiliation")
    assert table_rows(html, "checkins") == [["12:00", "1"], ["13:00", "2"]]
    # The day's hours, from two hours before the start (13:15) to the end (14:45).
    hours = [t.text for t in page.find_all("text", **{"font-size": "13"})]
    assert hours == ["11:00", "12:00", "13:00", "14:00"]


async def test_an_event_without_registrations_says_so(
    signed_in_viewer: Organiser, client: httpx.AsyncClient
) -> None:
    html = (await client.get(OVERVIEW)).text
    page = parse(html)
    assert page.one("desc", id="status-desc").text == "No registrations yet."
    assert page.one("desc", id="checkins-desc").text == "No one has checked in yet."
    assert table_rows(html, "status") == [["No registrations yet."]]


async def test_the_figures_refresh_as_json_in_the_page_s_language(
    signed_in_viewer: Organiser, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    page = parse((await client.get(OVERVIEW, params={"lang": "fr"})).text)
    url = page.one("dl", id="figures").attrs["data-refresh"]
    assert url == f"{OVERVIEW}/overview.json?lang=fr"
    assert page.find_all("script", src="/admin/static/overview.js")
    await make_registration("confirmed")
    response = await client.get(url)
    assert response.status_code == 200
    assert response.json()["figures"] == {
        "capacity": "120",
        "seats_left": "119",
        "held": "0",
        "confirmed": "1",
        "checked_in": "0",
        "waitlisted": "0",
        "pending_approval": "0",
    }
    assert response.json()["as_of"] == "10:00:00"  # 14:00 UTC in New York
    script = await client.get("/admin/static/overview.js")
    assert script.status_code == 200
    assert "aria-live" in script.text or "data-refresh" in script.text


async def test_arabic_overview_is_right_to_left_with_mirrored_bars(
    signed_in_viewer: Organiser, client: httpx.AsyncClient, make_registration: MakeRegistration
) -> None:
    await make_registration("confirmed")
    page = parse((await client.get(OVERVIEW, params={"lang": "ar"})).text)
    assert page.one("html").attrs == {"lang": "ar", "dir": "rtl"}
    assert page.one("title", id="status-title").text == "التسجيلات حسب الحالة"
    (bar,) = [r for r in page.find_all("rect") if r.attrs.get("height") == "20.0"][:1]
    # The bar starts from the right-hand edge's label column and grows leftwards.
    assert float(bar.attrs["x"]) + float(bar.attrs["width"]) == 640 - 250


async def test_an_unknown_event_is_a_404_page_and_signed_out_goes_to_sign_in(
    signed_in: SignedIn, client: httpx.AsyncClient, event: EventFields
) -> None:
    response = await client.get(OVERVIEW)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/admin/sign-in?next=%2Fadmin%2Fevents%2Fside-event",
    )
    await signed_in("viewer")
    missing = await client.get("/admin/events/no-such-event")
    assert missing.status_code == 404
    assert parse(missing.text).one("h1").text == "Page not found"
