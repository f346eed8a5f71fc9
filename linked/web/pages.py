"""Rendering pages, with content negotiation: HTML by default, JSON when the client asks."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from linked.archive.templates import page_context, web_environment
from linked.settings import Settings

#: Confirm and unsubscribe URLs hold tokens: nothing these pages load or link to may see them.
REFERRER_POLICY = "no-referrer"


def wants_json(request: Request) -> bool:
    """JSON when the client accepts it (and not HTML first) or sent a JSON body."""
    accept = request.headers.get("accept", "").lower()
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("application/json"):
        return True
    if "application/json" not in accept:
        return False
    html_at = accept.find("text/html")
    return html_at < 0 or accept.find("application/json") < html_at


class Pages:
    """Answers a request with a page or its JSON twin, from the same data."""

    def __init__(self, settings: Settings) -> None:
        # The archive's environment and variables: one layout (web/base.html) for both.
        self.env = web_environment(settings)
        self.common = page_context(settings, referrer_policy=REFERRER_POLICY)

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render({**self.common, **context})

    def respond(
        self,
        request: Request,
        template: str,
        data: dict[str, Any],
        *,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """``data`` is the JSON body; the page gets ``data`` and ``context`` as variables."""
        # Personal pages (tokens, addresses) must never be stored by shared caches.
        headers = {"Cache-Control": "no-store", "Referrer-Policy": REFERRER_POLICY}
        if wants_json(request):
            return JSONResponse(data, status_code=status_code, headers=headers)
        html = self.render(template, **data, **context)
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def message(
        self,
        request: Request,
        status: str,
        title: str,
        message: str,
        *,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """A simple message page (``web/message.html``) or ``{"status", "message"}`` as JSON."""
        data = {"status": status, "message": message}
        return self.respond(
            request, "web/message.html", data, status_code=status_code, title=title, **context
        )
