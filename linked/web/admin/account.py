"""``/admin/account/``: your own account, and turning two-step sign-in (TOTP) on or off."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.accounts import totp
from linked.accounts.models import Account
from linked.errors import LinkedError
from linked.web.admin.auth import Editor, form_values
from linked.web.admin.render import PREFIX, Viewer, console_of, reading, see_other
from linked.web.state import in_transaction, settings_of

DONE = {"on": "Two-step sign-in is on.", "off": "Two-step sign-in is off."}


def routes(api: APIRouter) -> None:
    async def page(
        request: Request, viewer: Viewer, error: str | None = None, status_code: int = 200
    ) -> Response:
        settings = settings_of(request)
        secret = totp.new_secret()

        def work(session: Session) -> tuple[str, str]:
            account = session.get(Account, viewer.account_id)
            assert account is not None
            return totp.provisioning_uri(settings, account, secret), totp.signed_secret(
                settings, account, secret
            )

        uri, signed = await reading(request, work)
        return console_of(request).page(
            "admin/account.html",
            viewer,
            status_code=status_code,
            current="Your account",
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            uri=uri,
            signed=signed,
            error=error,
            notice=DONE.get(request.query_params.get("done", "")),
            required=settings.require_totp,
        )

    @api.get("/account/", summary="Your account")
    async def account(request: Request, viewer: Editor) -> Response:
        return await page(request, viewer)

    @api.post("/account/totp", summary="Turn two-step sign-in on")
    async def totp_on(request: Request, viewer: Editor) -> Response:
        settings, values = settings_of(request), await form_values(request)

        def work(session: Session) -> None:
            account = session.get(Account, viewer.account_id)
            assert account is not None
            totp.enable(
                session,
                settings,
                viewer.actor,
                account,
                values.get("signed", ""),
                values.get("code", ""),
            )

        try:
            await in_transaction(request, work)
        except LinkedError as exc:
            return await page(request, viewer, f"{str(exc)[:1].upper()}{str(exc)[1:]}.", 422)
        return see_other(f"{PREFIX}/account/?done=on")

    @api.post("/account/totp/off", summary="Turn two-step sign-in off")
    async def totp_off(request: Request, viewer: Editor) -> Response:
        settings, values = settings_of(request), await form_values(request)

        def work(session: Session) -> None:
            account = session.get(Account, viewer.account_id)
            assert account is not None
            totp.disable(session, settings, viewer.actor, account, values.get("code", ""))

        try:
            await in_transaction(request, work)
        except LinkedError as exc:
            return await page(request, viewer, f"{str(exc)[:1].upper()}{str(exc)[1:]}.", 422)
        return see_other(f"{PREFIX}/account/?done=off")
