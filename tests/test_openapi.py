"""The OpenAPI document describes what the API answers: its error bodies and its values."""

from typing import Any

import httpx
import pytest


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_every_error_body_is_described(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"detail", "code"}
    assert schemas["ValidationErrorBody"]["properties"]["detail"]["type"] == "array"
    signup = document["paths"]["/api/events/{slug}/registrations"]["post"]["responses"]
    assert signup["415"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert signup["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorBody"
    }


def test_the_statuses_each_kind_of_operation_may_answer_are_declared(
    document: dict[str, Any],
) -> None:
    common = {"400", "413", "415", "422", "429", "503"}
    assert statuses(document, "post", "/api/events/{slug}/registrations") == common | {
        "201",
        "202",
        "404",
        "409",
    }
    assert statuses(document, "get", "/api/admin/events/{slug}/registrations") == common | {
        "200",
        "401",
        "403",
        "404",
        "409",
    }
    assert statuses(document, "post", "/api/auth/token") == common | {"200", "401"}
    assert statuses(document, "get", "/readyz") == {"200", "503"}


def test_the_list_filters_name_their_values(document: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"]
        for p in document["paths"]["/api/admin/events/{slug}/registrations"]["get"]["parameters"]
    }
    status = parameters["status"]["anyOf"][0]["items"]["enum"]
    assert status == [
        "confirmed",
        "waitlisted",
        "pending_approval",
        "declined",
        "cancelled",
        "pending_verification",
    ]
    assert "migrant_diaspora" in parameters["affiliation_type"]["anyOf"][0]["items"]["enum"]
    assert parameters["country"]["anyOf"][0]["items"]["pattern"] == "^[A-Za-z]{2}$"
