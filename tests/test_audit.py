"""The audit log: who changed what, when, with the values before and after."""

import httpx

from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeOrganiser, MakeRegistration

AUDIT = "/api/admin/audit"
REGISTRATIONS = "/api/admin/events/side-event/registrations"


async def test_an_action_is_recorded_with_who_when_before_and_after(
    event: object,
    make_registration: MakeRegistration,
    make_organiser: MakeOrganiser,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    registration, _ = await make_registration("confirmed")
    staff = await auth_headers("staff")
    await client.post(f"{REGISTRATIONS}/{registration.id}/check-in", headers=staff)
    entries = (await client.get(AUDIT, headers=staff)).json()["items"]
    entry = entries[0]
    assert entry["actor"].startswith("staff-")
    assert (entry["action"], entry["target_type"]) == ("registration.check-in", "registration")
    assert entry["target_id"] == str(registration.id)
    assert entry["before"]["checked_in_at"] is None
    assert entry["after"]["checked_in_at"] == clock.now().isoformat()


async def test_an_event_edit_records_only_the_changed_fields(
    make_event: MakeEvent, auth_headers: AuthHeaders, client: httpx.AsyncClient
) -> None:
    await make_event(capacity=10)
    owner = await auth_headers()
    unchanged_venue = "Conference Room 6, United Nations Headquarters, New York"
    response = await client.patch(
        "/api/admin/events/side-event",
        json={"capacity": 15, "venue": unchanged_venue},
        headers=owner,
    )
    assert response.status_code == 200
    entry = (await client.get(AUDIT, headers=owner)).json()["items"][0]
    assert entry["action"] == "event.update"
    assert (entry["before"], entry["after"]) == ({"capacity": 10}, {"capacity": 15})


async def test_the_log_pages_newest_first_and_each_entry_once(
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    owner = await auth_headers()
    for n in range(7):
        registration, _ = await make_registration("confirmed")
        await client.post(f"{REGISTRATIONS}/{registration.id}/cancel", headers=owner)
        if n % 2:
            clock.advance(seconds=1)  # some entries share a time, some do not
    ids: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(AUDIT, params=params, headers=owner)).json()
        assert page["total"] == 8  # the 7 cancellations, after the event's creation
        ids += [entry["id"] for entry in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 8
