"""The error answers the OpenAPI document declares, with the contract's error bodies.

Every non-2xx body is `{"detail", "code"}` (some codes add fields, such as when a
ticket was first checked in); FastAPI's request-validation 422 keeps its list of
errors as `detail`. Routers declare what they may answer with `errors(...)`, and
every API router adds COMMON: what any request may get whatever the route.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Responses = dict[int | str, dict[str, Any]]


class ErrorBody(BaseModel):
    """Every refusal but the request-validation 422."""

    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="What went wrong, for a person to read.")
    code: str = Field(description="What went wrong, for a program: e.g. `not_found`.")


class ValidationErrorBody(BaseModel):
    """FastAPI's request-validation 422: `detail` is the list of errors."""

    detail: list[dict[str, Any]] = Field(description="One entry per error: `loc`, `msg`, `type`.")
    code: Literal["validation_error"]


def errors(**described: str) -> Responses:
    """`errors(e404="Unknown event")`: those statuses, each with its error body."""
    return {
        int(name.removeprefix("e")): {
            "model": ValidationErrorBody if name == "e422" else ErrorBody,
            "description": description,
        }
        for name, description in described.items()
    }


COMMON = errors(
    e400="`bad_request` (a body that does not parse), `invalid_input` (a value the "
    "database cannot hold) or `invalid_cursor`",
    e413="`payload_too_large`: the body is over the limit (64 KiB by default)",
    e415="`unsupported_media_type`: a body that is not JSON where JSON is expected",
    e422="`validation_error`: the request's parameters or body are not valid",
    e429="`rate_limited`: too many requests; see `Retry-After`",
    e503="`not_ready`: the database is not answering; see `Retry-After`",
)
