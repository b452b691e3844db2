"""The dashboard's figures equal counts made here from the same registrations."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from app.models import ACTIVE_STATUSES, AffiliationType, RegistrationStatus
from tests.conftest import AuthHeaders, FakeClock, MakeEvent, MakeRegistration

STAGES = ["confirmed", "checked_in", "waitlisted", "pending_approval", "declined", "cancelled"]
COUNTRIES = ["EC", "GR", "SN", "PH", None]
NEW_YORK = ZoneInfo("America/New_York")


async def test_stats_equal_independent_counts(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    await make_event(capacity=20)
    rng = random.Random(2013)
    made = []
    for _ in range(60):
        # Up to three days on, at any hour: some UTC dates differ from New York's.
        clock.current = datetime(2013, 9, 2, tzinfo=UTC) + timedelta(minutes=rng.randrange(4320))
        stage = rng.choice(STAGES)
        affiliation = rng.choice(list(AffiliationType))
        country = rng.choice(COUNTRIES)
        await make_registration(stage, affiliation_type=affiliation, country=country)
        status = "confirmed" if stage == "checked_in" else stage
        made.append((stage, status, affiliation, country, clock.now()))

    response = await client.get(
        "/api/admin/events/side-event/stats", headers=await auth_headers("viewer")
    )
    assert response.status_code == 200
    stats = response.json()

    active = [m for m in made if m[1] in ACTIVE_STATUSES]
    statuses = Counter(m[1] for m in made)
    assert stats["by_status"] == {s.value: statuses[s.value] for s in RegistrationStatus}
    affiliations = Counter(m[2].value for m in active)
    assert stats["by_affiliation_type"] == {a.value: affiliations[a.value] for a in AffiliationType}
    assert stats["by_country"] == Counter(m[3] or "unknown" for m in active)
    days = Counter(m[4].astimezone(NEW_YORK).date().isoformat() for m in made)
    assert stats["signups_per_day"] == [{"date": d, "count": n} for d, n in sorted(days.items())]
    assert stats["checked_in"] == sum(m[0] == "checked_in" for m in made)
    assert stats["seats_left"] == max(0, 20 - statuses["confirmed"])
    # Made directly, not through sign-up: no e-mail was queued for them.
    assert stats["emails_by_state"] == {"pending": 0, "sent": 0, "failed": 0}


async def test_a_called_off_event_has_no_seats_and_no_attendees(
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
) -> None:
    await make_event(capacity=10)
    await make_registration("checked_in")
    await make_registration("confirmed")
    owner = await auth_headers("owner")
    before = (await client.get("/api/admin/events/side-event/stats", headers=owner)).json()
    assert (before["checked_in"], before["seats_left"]) == (1, 8)

    await client.post("/api/admin/events/side-event/cancel", headers=owner)
    stats = (await client.get("/api/admin/events/side-event/stats", headers=owner)).json()
    # Everyone is cancelled with the event: no one who checked in is an attendee now.
    assert stats["by_status"]["cancelled"] == 2
    assert (stats["checked_in"], stats["seats_left"]) == (0, 0)
    assert (await client.get("/api/events/side-event")).json()["seats_left"] == 0
