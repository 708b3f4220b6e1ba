"""Pure ASGI middleware: the request body limit, and a header on every response.

The body limit is enforced on the bytes as they arrive, before anything parses them.
A declared Content-Length over the limit is refused at once; a body with no Content-Length
(chunked) or one longer than it declares is counted as it is read and refused as soon as the
count passes the limit, so nothing larger than the limit is ever held in memory.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from starlette.exceptions import HTTPException

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so that FastAPI's body parsing passes it on as it is
    (any other exception there becomes a 400 "error parsing the body")."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(413, too_large_message(size, limit))


def too_large_message(size: int, limit: int) -> str:
    return f"request body too large: {size} bytes or more, the limit is {limit} bytes"


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number; None when absent or not a number."""
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode("utf-8")


class BodyLimit:
    """ASGI middleware answering 413 with a JSON error for a request body over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(send, length)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(received, self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:  # an endpoint that answers before reading its body has nothing to undo
                await self._refuse(send, received)

    async def _refuse(self, send: Send, size: int) -> None:
        body = error_body(too_large_message(size, self.max_bytes))
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class NoSniff:
    """`X-Content-Type-Options: nosniff` on every response: a JSON error is never run as a page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-content-type-options"]
                message = {**message, "headers": headers + [(b"x-content-type-options", b"nosniff")]}
            await send(message)

        await self.app(scope, receive, send_with_header if scope["type"] == "http" else send)
