"""Smaller findings of the hardening round: strict consent, the Allow header, framing of
the API documentation, and the wording of a refused action."""

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Registration
from tests.fixtures.app import Signup
from tests.fixtures.factories import AuthHeaders, MakeRegistration


@pytest.mark.parametrize("consent", [1, "true", "True", "yes", "1", 1.0, [True], {"given": True}])
async def test_consent_is_only_the_json_value_true(
    event: object, signup: Signup, session: AsyncSession, consent: object
) -> None:
    response = await signup(consent=consent)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "consent"], "bool_type")
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0


async def test_consent_true_is_accepted(event: object, signup: Signup) -> None:
    assert (await signup(consent=True)).status_code == 201


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/registrations/{token}", "GET, OPTIONS, PATCH"),
        ("/api/registrations/{token}/cancel", "OPTIONS, POST"),
        ("/api/events/side-event", "GET, OPTIONS"),
        ("/api/admin/events", "GET, OPTIONS, POST"),
        ("/api/admin/events/side-event", "OPTIONS, PATCH"),
        ("/r/{token}/edit", "GET, OPTIONS, POST"),
    ],
)
async def test_options_names_every_method_the_path_takes(
    event: object,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    path: str,
    allowed: str,
) -> None:
    _, token = await make_registration()
    response = await client.options(path.format(token=token))
    assert response.status_code == 204
    assert response.headers["allow"] == allowed
    # A method the path does not take: 405, naming the same methods.
    refused = await client.put(path.format(token=token), json={})
    assert refused.status_code == 405
    assert refused.headers["allow"] == allowed
    assert refused.json() == {"detail": "Method Not Allowed", "code": "method_not_allowed"}


async def test_options_on_an_unknown_path_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/nothing-here")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_api_documentation_cannot_be_framed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("action", "stage", "message"),
    [
        (
            "resend-confirmation",
            "cancelled",
            "Can't resend the confirmation of a registration that is cancelled.",
        ),
        (
            "undo-check-in",
            "confirmed",
            "Can't undo the check-in of a registration that is confirmed.",
        ),
        ("check-in", "waitlisted", "Can't check in a registration that is waitlisted."),
        ("approve", "declined", "Can't approve a registration that is declined."),
    ],
)
async def test_a_refused_action_is_worded_as_a_sentence(
    event: object,
    client: httpx.AsyncClient,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    action: str,
    stage: str,
    message: str,
) -> None:
    registration, _ = await make_registration(stage)
    response = await client.post(
        f"/api/admin/events/side-event/registrations/{registration.id}/{action}",
        headers=await auth_headers(),
    )
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["detail"]) == ("invalid_transition", message)
