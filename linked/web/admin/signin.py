"""``/admin/login``, ``/admin/logout``, ``/admin/forgot`` and ``/admin/password/{token}``.

The public console pages. A failed sign-in, for a wrong password or an unknown
address alike, gets the same page; once throttled, everyone gets the same 429.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.accounts import mail, service, sessions
from linked.accounts.audit import Actor
from linked.accounts.links import LinkKind, password_url
from linked.accounts.passwords import MIN_LENGTH, WeakPassword
from linked.errors import LinkedError
from linked.web.admin.auth import (
    LOGIN_COOKIE,
    Editor,
    check_login_token,
    check_origin,
    clear_session_cookie,
    cookie_name,
    form_values,
    login_token,
    new_login_nonce,
    set_login_cookie,
    set_session_cookie,
)
from linked.web.admin.render import PREFIX, Refused, console_of, see_other
from linked.web.state import client_ip, in_transaction, settings_of

WRONG = "The email address or password is not right."
THROTTLED = "Too many attempts to sign in. Wait 15 minutes, then try again."
NOTICES = {
    "signed-out": "You have signed out.",
    "password-set": "Your password is set. Sign in with it now.",
    "link-sent": "If that address has an account, we have sent it a link to set a new "
    "password. The link works for one hour.",
}


def safe_next(value: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if (
        value
        and value.startswith(f"{PREFIX}/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return f"{PREFIX}/"


def routes(api: APIRouter) -> None:
    """Add the sign-in routes to the console router."""

    def login_page(request: Request, status_code: int = 200, **context: Any) -> Response:
        settings = settings_of(request)
        nonce = request.cookies.get(LOGIN_COOKIE) or new_login_nonce()
        response = console_of(request).page(
            "admin/login.html",
            None,
            status_code=status_code,
            login_token=login_token(settings, nonce),
            next=safe_next(request.query_params.get("next")),
            notice=NOTICES.get(request.query_params.get("done", "")),
            **{"email": "", "error": None, "needs_code": False, **context},
        )
        set_login_cookie(response, settings, nonce)
        return response

    @api.get("/login", summary="Sign-in page")
    async def login_form(request: Request) -> Response:
        # Shown even to someone signed in: signing in again (as anyone) ends that session.
        return login_page(request)

    @api.post("/login", summary="Sign in")
    async def login(request: Request) -> Response:
        settings, ip = settings_of(request), client_ip(request)
        check_origin(request)
        values = await form_values(request)
        check_login_token(request, values.get("csrf", ""))
        email, password = values.get("email", "").strip(), values.get("password", "")
        code = values.get("code") or None
        old = request.cookies.get(cookie_name(settings))

        def work(session: Session) -> sessions.SignIn:
            if old:  # whatever session this browser had ends: a new id at every sign-in
                current = sessions.current(session, settings, old)
                if current is not None:
                    session.delete(current.row)
            return sessions.sign_in(session, settings, email, password, code=code, ip=ip)

        result = await in_transaction(request, work)
        if result.throttled:
            return login_page(request, 429, email=email, error=THROTTLED)
        if result.needs_code:
            error = "Enter the 6-digit code from your authenticator app."
            return login_page(request, 401, email=email, error=error, needs_code=True)
        if result.token is None:
            return login_page(request, 401, email=email, error=WRONG)
        response = see_other(safe_next(values.get("next")))
        set_session_cookie(response, settings, result.token)
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return response

    @api.post("/logout", summary="Sign out")
    async def logout(request: Request, viewer: Editor) -> Response:
        settings = settings_of(request)
        token = request.cookies.get(cookie_name(settings), "")

        def work(session: Session) -> None:
            current = sessions.current(session, settings, token)
            if current is not None:
                sessions.sign_out(session, current, viewer.ip)

        await in_transaction(request, work)
        response = see_other(f"{PREFIX}/login?done=signed-out")
        clear_session_cookie(response, settings)
        return response

    @api.get("/forgot", summary="Forgot password page")
    async def forgot_form(request: Request) -> Response:
        return login_page(request, forgot=True)

    @api.post("/forgot", summary="Send a password link")
    async def forgot(request: Request, background: BackgroundTasks) -> Response:
        settings = settings_of(request)
        check_origin(request)
        values = await form_values(request)
        check_login_token(request, values.get("csrf", ""))
        email = values.get("email", "")

        def work(session: Session) -> tuple[str, str] | None:
            account = service.find(session, email)
            if account is None or not service.reset_mail_allowed(session, account):
                return None
            return account.email, password_url(settings, account, LinkKind.reset)

        found = await in_transaction(request, work)
        if found is not None:
            background.add_task(mail.send_reset, settings, *found)
        # The same answer whether or not the address has an account.
        return see_other(f"{PREFIX}/login?done=link-sent")

    @api.get("/password/{token}", summary="Set-password page")
    async def password_form(request: Request, token: str) -> Response:
        settings = settings_of(request)

        def work(session: Session) -> str:
            return service.account_for_link(session, settings, token).email

        try:
            email = await in_transaction(request, work)
        except LinkedError as exc:
            raise Refused(400, "This link does not work", f"{exc}. Ask for a new one.") from exc
        return console_of(request).page(
            "admin/password.html", None, email=email, error=None, min_length=MIN_LENGTH
        )

    @api.post("/password/{token}", summary="Set a password")
    async def set_password(request: Request, token: str) -> Response:
        # The signed single-use token is the authority here (no session yet).
        settings, ip = settings_of(request), client_ip(request)
        check_origin(request)
        values = await form_values(request)
        password, again = values.get("password", ""), values.get("confirm", "")

        def work(session: Session) -> str:
            account = service.account_for_link(session, settings, token)
            if password != again:
                raise WeakPassword("the two passwords are not the same")
            actor = Actor(account.email_key, account.id, ip)
            service.set_password(session, actor, account, password)
            return account.email

        try:
            await in_transaction(request, work)
        except WeakPassword as exc:
            return console_of(request).page(
                "admin/password.html",
                None,
                status_code=422,
                email="",
                error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.",
                min_length=MIN_LENGTH,
            )
        except LinkedError as exc:
            raise Refused(400, "This link does not work", f"{exc}. Ask for a new one.") from exc
        return see_other(f"{PREFIX}/login?done=password-set")
