"""ASGI middleware."""

import re
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.db_errors import RETRY_AFTER_SECONDS, OutageLog, outage_kind
from app.kit.errors import error_body

PageRefusal = Callable[[Request], Response | None]
"""An HTML page for a refusal at a page's address; None for the API's addresses."""


class HttpMiddleware:
    """An ASGI middleware for HTTP requests (`handle`); anything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class RefusingMiddleware(HttpMiddleware):
    """An ASGI middleware that may refuse an HTTP request itself, outside the routes:
    with the API's JSON body, or with `page_refusal`'s HTML page at a page's address."""

    def __init__(self, app: ASGIApp, page_refusal: PageRefusal | None) -> None:
        super().__init__(app)
        self.page_refusal = page_refusal

    async def refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: dict[str, Any],
        *,
        status_code: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        page = self.page_refusal(Request(scope)) if self.page_refusal is not None else None
        response = page or JSONResponse(body, status_code=status_code)
        response.headers.update(headers or {})
        await response(scope, receive, send)


class BodySizeLimit(RefusingMiddleware):
    """Refuse request bodies over `max_bytes` with 413, before anything parses them.

    Checks the declared Content-Length and also counts streamed bytes, since a
    chunked request declares none. `page_refusal` may answer a page's address
    with an HTML page instead (None: the JSON body of the API).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        page_refusal: PageRefusal | None = None,
        larger: tuple[re.Pattern[str], int] | None = None,
    ) -> None:
        super().__init__(app, page_refusal)
        self.max_bytes = max_bytes
        self.larger = larger
        """Paths matching the pattern (an import of many rows) may send up to its bytes."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes
        if self.larger is not None and self.larger[0].fullmatch(scope["path"]):
            limit = self.larger[1]
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def replacing_send(message: Message) -> None:
            # Whatever the app made of the aborted read, the client gets a 413.
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(scope, receive, send, limit)

        try:
            await self.app(scope, counting_receive, replacing_send)
        except _TooLarge:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await self.refuse(
            scope,
            receive,
            send,
            error_body(
                f"The request body is larger than {limit // 1024} KiB.",
                "payload_too_large",
            ),
            status_code=413,
        )


class _TooLarge(Exception):
    pass


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route takes at this path (OPTIONS included); [] for no route.

    Starlette's own 405 names only the methods of the first route that matches the
    path, so `GET /api/registrations/{token}` hid `PATCH` on the same path. Each
    method is tried against the routes as the router would (FastAPI nests included
    routers, so the routes' own method sets are not all in reach); mounts (the static
    files) are left out, as they take any method.
    """
    routes = [route for route in scope["app"].router.routes if not isinstance(route, Mount)]
    methods = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return sorted([*methods, "OPTIONS"]) if methods else []


class AllowedMethods(HttpMiddleware):
    """`OPTIONS` on any route's path: 204 with `Allow` naming every method it takes; and
    a 405 names them all too. (A CORS preflight is answered before, by CORSMiddleware.)"""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS" and (methods := allowed_methods(scope)):
            await Response(status_code=204, headers={"Allow": ", ".join(methods)})(
                scope, receive, send
            )
            return

        async def send_with_allow(message: Message) -> None:
            start = message["type"] == "http.response.start"
            if start and message["status"] == 405 and (methods := allowed_methods(scope)):
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"allow"]
                allow = (b"allow", ", ".join(methods).encode())
                message = {**message, "headers": [*headers, allow]}
            await send(message)

        await self.app(scope, receive, send_with_allow)


# The interactive API documentation is a page: no other site may frame it (clickjacking).
FRAME_PROTECTION = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
}


class FrameProtection:
    """Adds FRAME_PROTECTION to the answers at `paths` (FastAPI's /docs and /redoc)."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def send_protected(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message["headers"] if k.lower() not in FRAME_PROTECTION
                ]
                message = {**message, "headers": [*headers, *FRAME_PROTECTION.items()]}
            await send(message)

        await self.app(scope, receive, send_protected)


class DatabaseOutageGuard(RefusingMiddleware):
    """Answer 503 `not_ready` with `Retry-After` when the database cannot be reached.

    Whatever a request was doing when the connection failed (checking a connection
    out, a query, the commit), the failure surfaces here, and the client gets an
    answer: the API's JSON, or `page_refusal`'s HTML page for a page's address.
    The failure is counted in `outage_log` rather than logged with a traceback.
    A response already under way (a streamed export) cannot become a 503: it is
    cut short, so the client sees it incomplete rather than ending early as if whole.
    """

    def __init__(
        self, app: ASGIApp, *, outage_log: OutageLog, page_refusal: PageRefusal | None = None
    ) -> None:
        super().__init__(app, page_refusal)
        self.outage_log = outage_log

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception as exc:
            kind = outage_kind(exc)
            if kind is None:
                raise
            self.outage_log.failed(kind)
            if started:
                return
            body = error_body(
                "The database is not answering; please try again shortly.", "not_ready"
            )
            retry_after = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            await self.refuse(scope, receive, send, body, status_code=503, headers=retry_after)


class ServerTiming(HttpMiddleware):
    """Says in a `Server-Timing` header how long the app worked on a request until
    its answer started (middleware, dependencies, queries and serialising, without
    the network or the client's wait): `app;dur=<ms>` the time that passed, and
    `cpu;dur=<ms>` the process's CPU time meanwhile.

    So a benchmark on a busy machine can tell the server's own time from the load
    generator's and the loopback's (`make bench BENCH="reads dashboard"`), and the
    work a request costs from the waiting the machine's load adds. The CPU time is
    the whole process's: a request's own only while it is the only one in flight,
    as in those benchmarks.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = 1000 * (time.perf_counter() - started)
                cpu = 1000 * (time.process_time() - cpu_started)
                timing = f"app;dur={elapsed:.1f}, cpu;dur={cpu:.1f}".encode()
                message = {**message, "headers": [*message["headers"], (b"server-timing", timing)]}
            await send(message)

        await self.app(scope, receive, send_timed)
