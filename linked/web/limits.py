"""Request bodies: no route reads more than its limit, whatever the transfer encoding.

``Content-Length`` can be absent (chunked) or lie, so the limit is counted on the
bytes actually received: the middleware wraps ``receive`` and raises
:class:`BodyTooLarge` (an HTTP 413, shown as the app's own page) as soon as a
route has been handed more than the limit, or at once when the declared length
is over it. Routes that never read a body are not affected.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest body a public form or webhook needs (a subscribe form is under 1 KB).
MAX_BODY_BYTES = 16_384


class BodyTooLarge(HTTPException):
    """The request body is over the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request is too large (the most accepted is {limit} bytes).")


class BodyLimit:
    """ASGI middleware: at most ``limit`` bytes of body per request (``by_prefix`` overrides).

    ``by_prefix`` maps a path prefix to its own limit (the longest matching prefix
    wins), for a route that takes more, such as an upload in the console.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int = MAX_BODY_BYTES,
        by_prefix: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.by_prefix = sorted((by_prefix or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix:
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
