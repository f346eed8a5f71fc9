"""Console pages: one renderer, the route class that turns refusals into pages, and who is
signed in (:class:`Viewer`), as the handlers see them."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.accounts.audit import Actor
from linked.accounts.models import Role
from linked.archive.templates import web_environment
from linked.compose import Composer
from linked.compose.urls import static_url
from linked.settings import Settings
from linked.web.state import engine_of

T = TypeVar("T")

PREFIX = "/admin"
#: Console pages name people: no shared cache may keep them, and no referrer leaves them.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


@dataclass(frozen=True)
class Viewer:
    """The signed-in account of one request (a plain copy, usable outside the transaction)."""

    account_id: int
    email: str
    email_key: str
    name: str | None
    role: Role
    csrf: str
    ip: str | None
    has_totp: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.email_key, self.account_id, self.ip)

    def can(self, role: Role) -> bool:
        return self.role.allows(role)


class SignInFirst(Exception):
    """A page asked for without a live session: go to the sign-in page, then come back."""

    def __init__(self, back_to: str, *, to_enrol: bool = False) -> None:
        self.back_to, self.to_enrol = back_to, to_enrol


class Refused(Exception):
    """The request may not go ahead (no session, bad CSRF token, role too low, throttled)."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        self.status_code, self.title, self.message = status_code, title, message


#: Main navigation: (path, label, the role it needs).
NAV = [
    (f"{PREFIX}/", "Dashboard", Role.editor),
    (f"{PREFIX}/editions/", "Editions", Role.editor),
    (f"{PREFIX}/subscribers/", "Subscribers", Role.editor),
    (f"{PREFIX}/users/", "Accounts", Role.admin),
    (f"{PREFIX}/audit/", "Audit log", Role.admin),
    (f"{PREFIX}/account/", "Your account", Role.editor),
]


class Console:
    """Renders ``templates/admin/`` pages with what every console page needs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = web_environment(settings)
        self.common = {
            "settings": settings,
            "css_url": static_url(settings.base_url, "archive.css"),
            "admin_css_url": f"{PREFIX}/static/admin.css",
            "script_urls": [
                f"{PREFIX}/static/htmx.min.js",
                f"{PREFIX}/static/admin.js",
                f"{PREFIX}/static/editor.js",
            ],
            "prefix": PREFIX,
            "roles": Role,
        }

    @cached_property
    def composer(self) -> Composer:
        """One composer for the console's previews: templates compiled once, not per request."""
        return Composer(self.settings)

    def page(
        self,
        template: str,
        viewer: Viewer | None,
        *,
        status_code: int = 200,
        current: str = "",
        **context: Any,
    ) -> HTMLResponse:
        nav = [(path, label) for path, label, role in NAV if viewer and viewer.can(role)]
        html = self.env.get_template(template).render(
            {**self.common, "viewer": viewer, "nav": nav, "current": current, **context}
        )
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)

    def refused(self, viewer: Viewer | None, exc: Refused) -> HTMLResponse:
        return self.page(
            "admin/message.html",
            viewer,
            status_code=exc.status_code,
            title=exc.title,
            message=exc.message,
        )


async def reading(request: Request, work: Callable[[Session], T]) -> T:
    """Run read-only ``work(session)`` in a worker thread; nothing is committed.

    The objects it returns stay readable after the session closes (nothing is expired).
    """
    engine = engine_of(request)

    def run() -> T:
        with Session(engine, expire_on_commit=False) as session:
            result = work(session)
            # Detached as loaded: closing the session (which rolls back) expires nothing.
            session.expunge_all()
            return result

    return await run_in_threadpool(run)


def console_of(request: Request) -> Console:
    return request.scope["linked.console"]  # type: ignore[no-any-return]


def see_other(url: str) -> RedirectResponse:
    """After a POST, show the result page with a GET (Post/Redirect/Get)."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def sign_in_url(back_to: str) -> str:
    return f"{PREFIX}/login?next={quote(back_to, safe='/')}"


def console_route(console: Console) -> type[APIRoute]:
    """A route class whose handlers see ``console`` and whose refusals become pages."""

    class ConsoleRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            inner = super().get_route_handler()

            async def handle(request: Request) -> Response:
                request.scope["linked.console"] = console
                try:
                    return await inner(request)
                except SignInFirst as exc:
                    return see_other(exc.back_to if exc.to_enrol else sign_in_url(exc.back_to))
                except Refused as exc:
                    return console.refused(request.scope.get("linked.viewer"), exc)

            return handle

    return ConsoleRoute


def sentence(problem: Exception | str) -> str:
    """An error's text as a sentence for a page: capital first letter, full stop at the end."""
    text = str(problem)
    return f"{text[:1].upper()}{text[1:]}" + ("" if text.endswith(".") else ".")
