"""ASGI middleware."""

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.errors import error_body


class BodySizeLimit:
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
        page_refusal: Callable[[Request], Response | None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def replacing_send(message: Message) -> None:
            # Whatever the app made of the aborted read, the client gets a 413.
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, counting_receive, replacing_send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.page_refusal is not None:
            page = self.page_refusal(Request(scope))
            if page is not None:
                await page(scope, receive, send)
                return
        body = json.dumps(
            error_body(
                f"The request body is larger than {self.max_bytes // 1024} KiB.",
                "payload_too_large",
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
