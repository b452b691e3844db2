"""The registrant's calendar.ics says whether the entry stands: a late download removes it."""

from collections.abc import Awaitable, Callable
from email.utils import parseaddr

import httpx
import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Event
from tests.fixtures.app import Signup, own_path
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration
from tests.html import parse

EVENT = "/api/admin/events/side-event"

CallOff = Callable[[httpx.AsyncClient, dict[str, object], dict[str, str]], Awaitable[object]]


async def registrant_cancels(
    client: httpx.AsyncClient, registration: dict[str, object], owner: dict[str, str]
) -> object:
    return await client.post(own_path(registration, "/cancel"))


async def organiser_declines(
    client: httpx.AsyncClient, registration: dict[str, object], owner: dict[str, str]
) -> object:
    return await client.post(f"{EVENT}/registrations/{registration['id']}/decline", headers=owner)


async def event_called_off(
    client: httpx.AsyncClient, registration: dict[str, object], owner: dict[str, str]
) -> object:
    return await client.post(f"{EVENT}/cancel", headers=owner)


async def entry(client: httpx.AsyncClient, registration: dict[str, object]) -> icalendar.Calendar:
    response = await client.get(own_path(registration, "/calendar.ics"))
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.content)


async def test_an_active_registration_gets_a_confirmed_entry(
    event: object, signup: Signup, client: httpx.AsyncClient
) -> None:
    calendar = await entry(client, (await signup()).json())
    (vevent,) = calendar.walk("VEVENT")
    assert (str(calendar["method"]), str(vevent["status"])) == ("PUBLISH", "CONFIRMED")


@pytest.mark.parametrize(
    "call_off", [registrant_cancels, organiser_declines, event_called_off], ids=lambda f: f.__name__
)
async def test_once_the_registration_or_the_event_is_off_the_entry_is_cancelled(
    call_off: CallOff,
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: AuthHeaders,
) -> None:
    # Pending approval: a registration each of the three may end.
    await make_event(approval_required=True)
    registration = (await signup()).json()
    (before,) = (await entry(client, registration)).walk("VEVENT")
    await call_off(client, registration, await auth_headers("owner"))

    calendar = await entry(client, registration)
    (after,) = calendar.walk("VEVENT")
    assert (str(calendar["method"]), str(after["status"])) == ("CANCEL", "CANCELLED")
    assert after["uid"] == before["uid"]
    # One above the event's current SEQUENCE (itself raised when the event is called off),
    # so the cancellation outranks every entry published for this UID.
    current = await session.scalar(select(Event.ical_sequence).where(Event.slug == "side-event"))
    assert current is not None
    assert after.decoded("sequence") == current + 1
    assert after.decoded("sequence") > before.decoded("sequence")


@pytest.mark.parametrize("stage", ["waitlisted", "pending_approval"])
async def test_a_registrant_without_a_seat_gets_a_tentative_entry_and_no_link_to_it(
    stage: str,
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
) -> None:
    await make_event(capacity=0, approval_required=stage == "pending_approval")
    _, token = await make_registration(stage)
    page = (await client.get(f"/r/{token}")).text
    assert "calendar.ics" not in page

    response = await client.get(f"/api/registrations/{token}/calendar.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert (str(calendar["method"]), str(vevent["status"])) == ("PUBLISH", "TENTATIVE")


async def test_a_confirmed_registrant_is_offered_the_entry(
    event: object, make_registration: MakeRegistration, client: httpx.AsyncClient
) -> None:
    _, token = await make_registration("confirmed")
    links = parse((await client.get(f"/r/{token}")).text).find_all("a")
    assert f"/api/registrations/{token}/calendar.ics" in [a.attrs.get("href") for a in links]


async def test_every_entry_names_its_organiser(
    event: object, signup: Signup, client: httpx.AsyncClient, settings: Settings
) -> None:
    calendar = await entry(client, (await signup()).json())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["organizer"]) == f"mailto:{parseaddr(settings.mail_from)[1]}"
    assert vevent["organizer"].params["CN"] == "JMDI, UNITAR, KNOMAD"
