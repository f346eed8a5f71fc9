"""Who is asking: the session cookie, the Origin check, CSRF tokens, and ``require(role)``.

Every console route depends on :func:`require` (or is one of the few public ones:
sign-in, password links). State-changing requests must come from our own origin
and carry the session's CSRF token, in the form (``csrf``) or an ``X-CSRF-Token``
header (htmx).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.accounts import sessions
from linked.accounts.models import Role
from linked.settings import Settings
from linked.signing import secret_key
from linked.web.admin.render import PREFIX, Refused, SignInFirst, Viewer
from linked.web.state import client_ip, in_transaction, settings_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOGIN_COOKIE = "linked_login"
#: With ``require_totp``, the only pages an account without a second factor may use.
ENROLMENT = (f"{PREFIX}/account/", f"{PREFIX}/account/totp", f"{PREFIX}/logout")


def secure(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def cookie_name(settings: Settings) -> str:
    """``__Host-`` binds the cookie to this exact host, over HTTPS only, for the whole site."""
    return "__Host-linked_session" if secure(settings) else "linked_session"


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        httponly=True,
        samesite="lax",
        secure=secure(settings),
        path="/",
        max_age=int(settings.console_session_hours * 3600),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", secure=secure(settings), httponly=True, samesite="lax"
    )


def check_origin(request: Request) -> None:
    """Refuse a state-changing request that a browser says came from another site."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    settings = settings_of(request)
    ours = {_origin(settings.base_url), f"{request.url.scheme}://{request.headers.get('host', '')}"}
    if origin not in ours:
        raise Refused(403, "Not allowed", "This form was sent from another website.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def sent_csrf(request: Request) -> str:
    """The CSRF token the request carries (header for htmx, else the form field)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ""
    try:
        form = await request.form()
    except Exception:  # an unreadable body carries no token
        return ""
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def form_values(request: Request) -> dict[str, str]:
    """The posted text fields (files left out)."""
    try:
        form = await request.form()
    except Exception:  # a malformed body has no usable fields
        return {}
    return {key: value for key, value in form.items() if isinstance(value, str)}


def require(role: Role) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency: the signed-in :class:`Viewer`, if their role allows ``role``.

    Without a live session a GET goes to the sign-in page and anything else gets 403;
    a state-changing request also needs our Origin and the session's CSRF token.
    """

    async def dependency(request: Request) -> Viewer:
        settings = settings_of(request)
        safe = request.method in SAFE_METHODS
        if not safe:
            check_origin(request)
        token = request.cookies.get(cookie_name(settings))
        viewer = await load_viewer(request, token) if token else None
        if viewer is None:
            if safe:
                back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise SignInFirst(back_to)
            raise Refused(403, "Please sign in", "Your session has ended. Sign in and try again.")
        request.scope["linked.viewer"] = viewer
        if not safe and not hmac.compare_digest(await sent_csrf(request), viewer.csrf):
            raise Refused(
                403,
                "Please try again",
                "This form had expired or was not sent from the console. Nothing was changed.",
            )
        if settings.require_totp and not viewer.has_totp and request.url.path not in ENROLMENT:
            if safe:
                raise SignInFirst(ENROLMENT[0], to_enrol=True)
            raise Refused(403, "Set up two-step sign-in", "Set up two-step sign-in first.")
        if not viewer.can(role):
            raise Refused(
                403,
                "Not allowed",
                f"This needs the {role.value} role; you are {viewer.role.value}.",
            )
        return viewer

    return dependency


async def load_viewer(request: Request, token: str) -> Viewer | None:
    """The signed-in account for a cookie value (touching its session), or None."""
    settings, ip = settings_of(request), client_ip(request)

    def work(session: Session) -> Viewer | None:
        current = sessions.current(session, settings, token)
        if current is None:
            return None
        account = current.account
        assert account.id is not None
        return Viewer(
            account.id,
            account.email,
            account.email_key,
            account.name,
            account.role,
            current.row.csrf,
            ip,
            account.totp_secret is not None,
        )

    return await in_transaction(request, work)


# Sign-in form CSRF (no session yet): a random cookie, and its HMAC in the form.


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_token(settings: Settings, nonce: str) -> str:
    key = hashlib.sha256(f"console-login:{secret_key(settings)}".encode()).digest()
    return hmac.new(key, nonce.encode("utf-8"), "sha256").hexdigest()


def set_login_cookie(response: Response, settings: Settings, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=secure(settings),
        path=PREFIX,
        max_age=3600,
    )


def check_login_token(request: Request, sent: str) -> None:
    settings = settings_of(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(login_token(settings, nonce), sent):
        raise Refused(
            403,
            "Please try again",
            "The sign-in form had expired. Open the sign-in page again. Nothing was changed.",
        )


# What a handler declares to need: ``viewer: Editor`` (or Sender, Admin).
Editor = Annotated[Viewer, Depends(require(Role.editor))]
Sender = Annotated[Viewer, Depends(require(Role.sender))]
Admin = Annotated[Viewer, Depends(require(Role.admin))]
