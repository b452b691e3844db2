"""Application errors, the handlers that give every non-2xx the contract's shape, and the
error answers the OpenAPI document declares."""

import logging
import math
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.kit.db_errors import outage_kind

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the client can act on: `{"detail": message, "code": code}`."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class InvalidToken(AppError):
    status_code = 404
    code = "invalid_token"


class RegistrationClosed(AppError):
    status_code = 409
    code = "registration_closed"


class EventFull(AppError):
    status_code = 409
    code = "event_full"


class AlreadyRegistered(AppError):
    status_code = 409
    code = "already_registered"


class OrgLimitReached(AppError):
    status_code = 409
    code = "org_limit_reached"


class InvalidTransition(AppError):
    status_code = 409
    code = "invalid_transition"


class InvitationRequired(AppError):
    """A public sign-up to an `invitation_only` event."""

    status_code = 409
    code = "invitation_required"


class InvitationExpired(AppError):
    """An answer to an invitation after its `respond_by`."""

    status_code = 409
    code = "invitation_expired"


class AlreadyInvited(AppError):
    """The e-mail has a pending or accepted invitation to the event already."""

    status_code = 409
    code = "already_invited"


class OfferExpired(AppError):
    """The seat offered to a waitlisted registrant is past its deadline."""

    status_code = 409
    code = "offer_expired"


class VerificationExpired(AppError):
    """The link confirming a sign-up's address is past its 24 hours."""

    status_code = 409
    code = "verification_expired"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidCursor(AppError):
    code = "invalid_cursor"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InvalidChange(AppError):
    """A change whose result would break a rule that spans fields (say, ends before it starts)."""

    status_code = 422
    code = "validation_error"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_body(detail: Any, code: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = json_safe({"detail": detail, "code": code, **extra})
    return body


def validation_problems(exc: ValidationError, *, whole: str = "", upper: bool = False) -> str:
    """Pydantic's errors in one line, `field.part: message; other: message`.

    `whole` names an error of the whole model (it has no location); `upper`
    spells field names as environment variables are (SMTP_URL), for settings.
    """

    def where(loc: tuple[int | str, ...]) -> str:
        name = ".".join(str(part) for part in loc)
        return (name.upper() if upper else name) or whole

    return "; ".join(f"{where(error['loc'])}: {error['msg']}" for error in exc.errors())


def json_safe(value: Any) -> Any:
    """What strict JSON can carry: error bodies echo client input, which may hold NaN,
    infinities or lone surrogates that no JSON encoder accepts."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(
        error_body(exc.detail, exc.code, **exc.extra),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    return JSONResponse(
        error_body(exc.detail, code), status_code=exc.status_code, headers=exc.headers
    )


NOT_JSON = "The body must be JSON, sent with Content-Type: application/json."


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(_unread_body(err) for err in exc.errors()):
        return await _app_error(request, UnsupportedMediaType(NOT_JSON))
    # The contract keeps FastAPI's list of errors as `detail`; `code` is our addition.
    errors = [{k: v for k, v in err.items() if k != "ctx"} | _ctx(err) for err in exc.errors()]
    return JSONResponse(error_body(errors, "validation_error"), status_code=422)


def _unread_body(err: Any) -> bool:
    """FastAPI passes a body on as bytes when its Content-Type is not a JSON one
    (`application/json`, `application/*+json`); no JSON body model accepts bytes."""
    return tuple(err.get("loc", ()))[:1] == ("body",) and isinstance(err.get("input"), bytes)


def _ctx(err: Any) -> dict[str, Any]:
    # `ctx` may hold exception objects, which are not JSON; keep it as text.
    ctx = err.get("ctx")
    return {"ctx": {k: str(v) for k, v in ctx.items()}} if ctx else {}


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if outage_kind(exc) is not None:
        # The database away: `app.kit.middleware.DatabaseOutageGuard` answers 503 for it,
        # wherever in the request it surfaces.
        raise exc
    # SQLSTATE class 22 is a value the database refuses (a NUL character, a number
    # out of range...) that validation let through: the client's input, not our
    # failure. Logged, so that the validation gap it shows can be closed.
    if not str(getattr(exc.orig, "sqlstate", "") or "").startswith("22"):
        log.error("database error", exc_info=exc)
        return await _unexpected_error(request, exc)
    log.warning("database refused a value: %s", exc.orig)
    return JSONResponse(
        error_body("A value in the request cannot be stored; please check it.", "invalid_input"),
        status_code=400,
    )


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        error_body("Something went wrong on our side; please try again.", "internal_error"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)


# The OpenAPI side: what the document declares.
# Every non-2xx body is `{"detail", "code"}` (some codes add fields, such as when a
# ticket was first checked in); FastAPI's request-validation 422 keeps its list of
# errors as `detail`. Routers declare what they may answer with `error_responses(...)`,
# and every API router adds COMMON: what any request may get whatever the route.
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


def error_responses(**described: str) -> Responses:
    """`error_responses(e404="Unknown event")`: those statuses, each with its error body."""
    return {
        int(name.removeprefix("e")): {
            "model": ValidationErrorBody if name == "e422" else ErrorBody,
            "description": description,
        }
        for name, description in described.items()
    }


def domain_validation_response(description: str) -> Responses:
    """A 422 that is either FastAPI's (a list of errors) or the domain's own refusal
    of a valid-looking body (`{"detail": str, "code", ...}`, e.g. the bad rows of
    an import, or a deadline in the past)."""
    return {422: {"model": ValidationErrorBody | ErrorBody, "description": description}}


COMMON = error_responses(
    e400="`bad_request` (a body that does not parse), `invalid_input` (a value the "
    "database cannot hold) or `invalid_cursor`",
    e413="`payload_too_large`: the body is over the limit (64 KiB by default)",
    e415="`unsupported_media_type`: a body that is not JSON where JSON is expected",
    e422="`validation_error`: the request's parameters or body are not valid",
    e429="`rate_limited`: too many requests; see `Retry-After`",
    e503="`not_ready`: the database is not answering; see `Retry-After`",
)
