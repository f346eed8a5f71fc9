"""Rendering pages, with content negotiation: HTML by default, JSON when the client asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from linked.settings import Settings

#: Templates shipped with Linked, used for any page a project does not override.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def page_environment(settings: Settings) -> Environment:
    """Jinja for ``templates/web``: the project's templates first, then Linked's own."""
    folders = [settings.templates_dir / "web", DEFAULT_TEMPLATES / "web"]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        # Every value a subscriber typed ends up in a page: escape all of them.
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["settings"] = settings
    return env


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
        self.env = page_environment(settings)

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

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
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
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
        """A simple message page (``message.html``) or ``{"status", "message"}`` as JSON."""
        data = {"status": status, "message": message}
        return self.respond(
            request, "message.html", data, status_code=status_code, title=title, **context
        )
