"""The dashboard's figures equal counts made here from the same registrations."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    ACTIVE_STATUSES,
    AffiliationType,
    DeliveryState,
    InvitationStatus,
    RegistrationStatus,
)
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration
from tests.fixtures.mail import SendQueued, SmtpServer

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
    assert stats["emails_by_state"] == {"pending": 0, "sent": 0, "failed": 0, "suppressed": 0}


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


# Each event's own counts, by plain SQL on the tables (the event picked by its slug).
ACTIVE_SQL = "r.status IN ('confirmed', 'waitlisted', 'pending_approval')"
SQL_COUNTS = {
    "by_status": """
        SELECT r.status, count(*) FROM registrations r JOIN events e ON e.id = r.event_id
        WHERE e.slug = :slug GROUP BY 1""",
    "by_affiliation_type": f"""
        SELECT r.affiliation_type, count(*) FROM registrations r JOIN events e ON e.id = r.event_id
        WHERE e.slug = :slug AND {ACTIVE_SQL} GROUP BY 1""",
    "by_country": f"""
        SELECT coalesce(r.country, 'unknown'), count(*)
        FROM registrations r JOIN events e ON e.id = r.event_id
        WHERE e.slug = :slug AND {ACTIVE_SQL} GROUP BY 1""",
    "signups_per_day": """
        SELECT to_char(r.created_at AT TIME ZONE e.timezone, 'YYYY-MM-DD'), count(*)
        FROM registrations r JOIN events e ON e.id = r.event_id
        WHERE e.slug = :slug GROUP BY 1""",
    "emails_by_state": """
        SELECT o.state, count(*) FROM email_outbox o JOIN events e ON e.id = o.event_id
        WHERE e.slug = :slug GROUP BY 1""",
    "invitations": """
        SELECT i.status, count(*) FROM invitations i JOIN events e ON e.id = i.event_id
        WHERE e.slug = :slug GROUP BY 1""",
    "seats_held": """
        SELECT 'held', coalesce(sum(i.seats_held), 0) FROM invitations i
        JOIN events e ON e.id = i.event_id WHERE e.slug = :slug AND i.status = 'pending'""",
}
SQL_FIGURES = """
    SELECT e.capacity,
           CASE WHEN e.cancelled_at IS NOT NULL THEN 0
                ELSE greatest(0, e.capacity - count(r.id) FILTER (WHERE r.status = 'confirmed'))
           END,
           count(r.id) FILTER (WHERE r.checked_in_at IS NOT NULL AND r.status = 'confirmed')
    FROM events e LEFT JOIN registrations r ON r.event_id = e.id
    WHERE e.slug = :slug GROUP BY e.id"""


async def counted_by_sql(session: AsyncSession, slug: str) -> dict[str, Any]:
    """The whole stats answer for `slug`, as plain SQL counts it."""
    counts: dict[str, dict[Any, int]] = {}
    for field, sql in SQL_COUNTS.items():
        rows = await session.execute(text(sql), {"slug": slug})
        counts[field] = {key: n for key, n in rows}
    figures = (await session.execute(text(SQL_FIGURES), {"slug": slug})).one()
    return {
        "capacity": figures[0],
        "seats_left": figures[1],
        "checked_in": figures[2],
        "by_status": {s: counts["by_status"].get(s, 0) for s in RegistrationStatus},
        "by_affiliation_type": {
            a: counts["by_affiliation_type"].get(a, 0) for a in AffiliationType
        },
        "by_country": counts["by_country"],
        "signups_per_day": [
            {"date": day, "count": n} for day, n in sorted(counts["signups_per_day"].items())
        ],
        "emails_by_state": {s: counts["emails_by_state"].get(s, 0) for s in DeliveryState},
        "invitations": {s: counts["invitations"].get(s, 0) for s in InvitationStatus},
        "seats_held": counts["seats_held"]["held"],
    }


async def test_two_events_stats_equal_sql_counts_of_their_own_rows_and_emails(
    make_event: MakeEvent,
    signup: Signup,
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    clock: FakeClock,
    smtp_server: SmtpServer,
    send_queued: SendQueued,
    session: AsyncSession,
) -> None:
    await make_event(capacity=3)  # side-event, in New York
    await make_event(
        slug="manila-briefing", timezone="Asia/Manila", capacity=2, approval_required=True
    )
    # (UTC time, event, country, affiliation); some fall on another day in the event's zone.
    signups = [
        ("2013-09-02T03:30", "side-event", "EC", "local_government"),  # New York: 1 Sept
        ("2013-09-02T14:00", "side-event", "SN", "civil_society"),
        ("2013-09-02T15:30", "manila-briefing", "PH", "academia"),
        ("2013-09-02T16:30", "manila-briefing", "GR", "un_system"),  # Manila: 3 Sept
        ("2013-09-02T23:50", "side-event", None, "member_state"),
        ("2013-09-03T02:00", "manila-briefing", "PH", "un_system"),
        ("2013-09-03T03:00", "manila-briefing", "PH", "academia"),
        ("2013-09-03T04:10", "side-event", "EC", "local_government"),  # waitlisted 1
        ("2013-09-03T12:00", "side-event", "SN", "civil_society"),  # waitlisted 2
    ]
    made: dict[str, list[str]] = {"side-event": [], "manila-briefing": []}
    for moment, slug, country, affiliation in signups:
        clock.current = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        response = await signup(slug, country=country, affiliation_type=affiliation)
        assert response.status_code == 201, response.text
        made[slug].append(response.json()["id"])

    # The first e-mails go out: one address is refused for good, one is retried later.
    smtp_server.handler.refuse_next("550 5.1.1 No such mailbox")
    smtp_server.handler.refuse_next("451 4.3.0 Try again later")
    await send_queued()

    # The organisers' actions queue more (pending) e-mails.
    clock.advance(hours=1)
    owner, staff = await auth_headers("owner"), await auth_headers("staff")
    a, b = made["side-event"], made["manila-briefing"]
    actions = [
        ("side-event", a[1], "cancel", owner),  # a[3] takes the seat
        ("side-event", a[0], "check-in", staff),
        ("side-event", a[4], "decline", owner),
        ("manila-briefing", b[0], "approve", owner),
        ("manila-briefing", b[1], "approve", owner),
        ("manila-briefing", b[2], "approve", owner),  # full: waitlisted
        ("manila-briefing", b[3], "decline", owner),
        ("manila-briefing", b[0], "check-in", staff),
    ]
    for slug, registration, action, headers in actions:
        path = f"/api/admin/events/{slug}/registrations/{registration}/{action}"
        assert (await client.post(path, headers=headers)).status_code == 200

    viewer = await auth_headers("viewer")
    shown = {
        slug: (await client.get(f"/api/admin/events/{slug}/stats", headers=viewer)).json()
        for slug in made
    }
    for slug in made:
        assert shown[slug] == await counted_by_sql(session, slug), slug

    # Days are the event's own: 03:30 UTC on 2 Sept is still 1 Sept in New York,
    # 16:30 UTC is already 3 Sept in Manila.
    assert shown["side-event"]["signups_per_day"] == [
        {"date": "2013-09-01", "count": 1},
        {"date": "2013-09-02", "count": 2},
        {"date": "2013-09-03", "count": 2},
    ]
    assert shown["manila-briefing"]["signups_per_day"] == [
        {"date": "2013-09-02", "count": 1},
        {"date": "2013-09-03", "count": 3},
    ]
    # Neither event's figures include the other's rows: together they make up the
    # tables exactly, and the two events have no country or affiliation in common.
    side, manila = shown["side-event"], shown["manila-briefing"]
    registrations = await session.scalar(text("SELECT count(*) FROM registrations"))
    emails = await session.scalar(text("SELECT count(*) FROM email_outbox"))
    assert sum(side["by_status"].values()) + sum(manila["by_status"].values()) == registrations
    both_days = side["signups_per_day"] + manila["signups_per_day"]
    assert sum(day["count"] for day in both_days) == registrations == len(signups)
    both_emails = Counter(side["emails_by_state"]) + Counter(manila["emails_by_state"])
    assert both_emails.total() == emails
    assert set(side["by_country"]).isdisjoint(manila["by_country"])
    assert not {a for a, n in side["by_affiliation_type"].items() if n} & {
        a for a, n in manila["by_affiliation_type"].items() if n
    }
    # Every delivery state occurs: one refused for good, one to be retried, some sent.
    assert both_emails["failed"] == 1
    assert both_emails["sent"] > 0
    assert both_emails["pending"] > 1
