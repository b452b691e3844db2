"""Liveness and readiness for the process supervisor or load balancer."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.kit.db_errors import RETRY_AFTER_SECONDS
from app.kit.errors import error_body, error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses=error_responses(e503="`not_ready`: the database is not answering"),
)
async def readyz(request: Request) -> dict[str, str] | JSONResponse:
    """Ready: the database answers."""
    try:
        async with request.app.state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse(
            error_body("The database is not answering.", "not_ready"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return {"status": "ok"}
