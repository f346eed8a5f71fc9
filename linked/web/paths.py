"""Paths with a NUL, another control character or bytes that are not UTF-8 are not found.

Such a path can only be an attack or a mangled link; passed on, a NUL reaches the
file system as an error (a 500) and a control character reaches logs. The
middleware answers 404 with the app's own page before any route sees it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

#: Control characters, and what the server decodes invalid UTF-8 or lone surrogates to.
_BAD = re.compile(r"[\x00-\x1f\x7f\ufffd\ud800-\udfff]")


def is_bad_path(path: str) -> bool:
    """Whether a decoded URL path holds a character no page of ours can have."""
    return _BAD.search(path) is not None


class RejectBadPaths:
    """ASGI middleware: :func:`is_bad_path` paths get ``not_found(request)`` (a 404 page)."""

    def __init__(self, app: ASGIApp, not_found: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = app
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_bad_path(scope.get("path", "")):
            response = await self.not_found(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
