"""Security headers on every response of the web app (one ASGI middleware).

A Content-Security-Policy header like the pages' ``<meta>`` one (scripts only from
this site, never inline) plus what a ``<meta>`` cannot say: ``frame-ancestors
'none'`` (no framing, no clickjacking of the confirm and unsubscribe buttons).
``X-Content-Type-Options: nosniff``, a site-wide ``Referrer-Policy`` (pages with a
token in their URL set ``no-referrer`` themselves, which is kept), and HSTS when
the public ``base_url`` is https. A header a route set itself is never replaced,
so a part of the app with stricter needs (the console) can set its own.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linked.settings import Settings

#: Site-wide: other sites learn the origin of a link followed from here, never the path.
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000"


def content_security_policy(settings: Settings) -> str:
    """The policy for every page: this site (and its public ``base_url``) only."""
    here = f"'self' {settings.base_url}"
    return "; ".join(
        [
            f"default-src {here}",
            f"img-src {here} https: data:",
            f"style-src {here} 'unsafe-inline'",
            f"script-src {here}",
            f"connect-src {here}",
            f"form-action {here}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response gets unless it set them itself."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.base_url.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """ASGI middleware adding :func:`security_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
