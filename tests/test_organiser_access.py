"""Every organiser endpoint against the contract's role table.

Missing, unknown, expired or revoked token: 401. A role below the endpoint's: 403.
Otherwise the endpoint's success status. Roles rank viewer < staff < owner.
A refused request changes no stored data, and the walk covers every organiser route.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.invitations.schemas import InvitationCreate
from app.invitations.service import create_invitations
from app.registrations.transitions import Action
from app.tickets.code import ticket_code
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import AuthHeaders, MakeRegistration
from tests.fixtures.invitations import invitation_body

ROLES = ["viewer", "staff", "owner"]
BAD_TOKENS = ["no token", "unknown token", "expired token", "revoked token"]

NEW_EVENT = {
    "slug": "athens-roundtable",
    "title": "Athens round-table",
    "starts_at": datetime(2013, 10, 3, 13, tzinfo=UTC).isoformat(),
    "ends_at": datetime(2013, 10, 3, 14, tzinfo=UTC).isoformat(),
    "timezone": "America/New_York",
    "venue": "Conference Room 6",
    "capacity": 30,
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """With `{id}` for the registration made in `stage`, `{ticket}` for its ticket code."""
    role: str
    success: int = 200
    stage: str = "confirmed"
    body: dict[str, Any] | None = field(default=None)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


REG = "/api/admin/events/side-event/registrations/{id}"
INV = "/api/admin/events/side-event/invitations"
ENDPOINTS = [
    Endpoint("POST", "/api/auth/logout", "viewer", success=204),
    Endpoint("GET", "/api/admin/events", "viewer"),
    Endpoint("POST", "/api/admin/events", "owner", success=201, body=NEW_EVENT),
    Endpoint("PATCH", "/api/admin/events/side-event", "owner", body={"capacity": 130}),
    Endpoint("GET", "/api/admin/events/side-event/registrations", "viewer"),
    Endpoint("GET", REG, "viewer"),
    Endpoint("POST", f"{REG}/approve", "owner", stage="pending_approval"),
    Endpoint("POST", f"{REG}/decline", "owner", stage="pending_approval"),
    Endpoint("POST", f"{REG}/cancel", "owner"),
    Endpoint("POST", f"{REG}/promote", "owner", stage="waitlisted"),
    Endpoint("POST", f"{REG}/check-in", "staff"),
    Endpoint("POST", f"{REG}/undo-check-in", "staff", stage="checked_in"),
    Endpoint("POST", f"{REG}/resend-confirmation", "owner"),
    Endpoint(
        "POST", "/api/admin/events/side-event/check-in", "staff", body={"ticket_code": "{ticket}"}
    ),
    Endpoint("GET", "/api/admin/events/side-event/stats", "viewer"),
    Endpoint("GET", "/api/admin/audit", "viewer"),
    Endpoint("POST", "/api/admin/events/side-event/cancel", "owner"),
    Endpoint("GET", "/api/admin/events/side-event/registrations.csv", "viewer"),
    Endpoint("GET", "/api/admin/events/side-event/security-list.xlsx", "viewer"),
    Endpoint("POST", INV, "owner", success=201, body=invitation_body(email="new@example.org")),
    Endpoint("GET", INV, "viewer"),
    Endpoint("GET", f"{INV}/{{invitation}}", "viewer"),
    Endpoint("POST", f"{INV}/{{invitation}}/resend", "owner"),
    Endpoint("POST", f"{INV}/{{invitation}}/revoke", "owner"),
    Endpoint(
        "POST",
        f"{INV}/{{invitation}}/extend",
        "owner",
        body={"respond_by": "2013-09-30T12:00:00+00:00"},
    ),
    Endpoint(
        "POST",
        "/api/admin/events/side-event/messages",
        "owner",
        success=201,
        body={"subject": "Room change", "body": "We meet in Room 4.", "status": ["confirmed"]},
    ),
    Endpoint("GET", "/api/admin/events/side-event/messages", "viewer"),
]


def expected_status(endpoint: Endpoint, credential: str) -> int:
    if credential in BAD_TOKENS:
        return 401
    if ROLES.index(credential) < ROLES.index(endpoint.role):
        return 403
    return endpoint.success


async def credential_headers(
    credential: str,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
    settings: Settings,
) -> dict[str, str]:
    if credential == "no token":
        return {}
    if credential == "unknown token":
        return {"Authorization": "Bearer not-a-token-we-issued"}
    if credential in ROLES:
        return await auth_headers(credential)
    headers = await auth_headers("owner")
    if credential == "expired token":
        clock.advance(hours=settings.organiser_token_hours, seconds=1)
    else:
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    return headers


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: _fill(item, **names) for key, item in value.items()}
    return value


# What an organiser request may change; a refused one must leave all of it as it was.
CHANGEABLE = [
    "events",
    "registrations",
    "email_outbox",
    "audit_entries",
    "manage_tokens",
    "invitations",
    "broadcasts",
]


async def stored_data(sessionmaker: async_sessionmaker[AsyncSession]) -> list[list[str]]:
    """Every row of the tables organisers' requests write to."""
    async with sessionmaker() as session:
        return [
            list(await session.scalars(text(f"SELECT to_jsonb(t)::text FROM {table} t ORDER BY 1")))
            for table in CHANGEABLE
        ]


@pytest.mark.parametrize("credential", BAD_TOKENS + ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_endpoint_answers_as_the_role_table_says(
    endpoint: Endpoint,
    credential: str,
    event: object,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    clock: FakeClock,
    settings: Settings,
    ticket_key: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    registration, _ = await make_registration(endpoint.stage)
    invitation = await _invitation(sessionmaker, clock)
    names = {
        "id": str(registration.id),
        "ticket": ticket_code(registration.id, ticket_key),
        "invitation": str(invitation),
    }
    headers = await credential_headers(credential, auth_headers, client, clock, settings)
    before = await stored_data(sessionmaker)

    response = await client.request(
        endpoint.method,
        _fill(endpoint.path, **names),
        json=_fill(endpoint.body, **names),
        headers=headers,
    )

    expected = expected_status(endpoint, credential)
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"
    if expected == 403:
        assert response.json()["code"] == "forbidden"
    if expected in (401, 403):
        assert await stored_data(sessionmaker) == before, "a refused request changed data"


def route_of(endpoint: Endpoint) -> tuple[str, str]:
    """The endpoint's route as the OpenAPI document names it, e.g. .../{slug}/stats."""
    path = (
        endpoint.path.replace("side-event", "{slug}")
        .replace("{id}", "{registration_id}")
        .replace("{invitation}", "{invitation_id}")
    )
    return endpoint.method, re.sub(
        r"\{(registration|invitation)_id\}/[a-z-]+$", r"{\1_id}/{action}", path
    )


async def _invitation(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> Any:
    """A pending invitation to the side-event; its id."""
    async with sessionmaker() as session, session.begin():
        made = await create_invitations(
            session,
            event_slug="side-event",
            rows=[InvitationCreate.model_validate(invitation_body())],
            actor=None,
            now=clock.now(),
        )
    assert isinstance(made, list)
    return made[0].invitation.id


def test_the_walk_covers_every_organiser_route_and_every_action(app: Any) -> None:
    organiser_routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(("/api/admin/", "/api/auth/")) and path != "/api/auth/token"
        for method in operations
    }
    assert organiser_routes == {route_of(endpoint) for endpoint in ENDPOINTS}
    walked_actions = {e.path.rsplit("/", 1)[1] for e in ENDPOINTS if e.path.startswith(f"{REG}/")}
    assert walked_actions == set(Action)
