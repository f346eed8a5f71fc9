"""``/admin/users/``: accounts (administrators only) — the same functions as ``linked users``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.accounts import audit, service
from linked.accounts.links import LinkKind, password_url
from linked.accounts.models import Account, Role
from linked.errors import LinkedError
from linked.web.admin.auth import Admin, form_values
from linked.web.admin.editing import commit
from linked.web.admin.render import (
    PREFIX,
    Viewer,
    console_of,
    reading,
    see_other,
    sentence,
)
from linked.web.state import in_transaction, settings_of

BASE = f"{PREFIX}/users"
DONE = {
    "role": "The role was changed.",
    "disable": "The account is disabled; its sessions ended.",
    "enable": "The account can sign in again.",
}


def routes(api: APIRouter) -> None:
    async def page(
        request: Request,
        viewer: Viewer,
        *,
        status_code: int = 200,
        error: str | None = None,
        link: tuple[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        accounts = await reading(request, lambda s: list(service.accounts(s)))
        return console_of(request).page(
            "admin/users.html",
            viewer,
            status_code=status_code,
            current="Accounts",
            accounts=accounts,
            all_roles=list(Role),
            error=error,
            link=link,
            values=values or {},
            notice=DONE.get(request.query_params.get("done", "")),
        )

    @api.get("/users/", summary="Accounts")
    async def users(request: Request, viewer: Admin) -> Response:
        return await page(request, viewer)

    @api.post("/users/new", summary="Add an account")
    async def add(request: Request, viewer: Admin) -> Response:
        settings, values = settings_of(request), await form_values(request)

        def work(session: Session) -> tuple[str, str]:
            try:
                role = Role(values.get("role", ""))
            except ValueError:
                raise LinkedError("choose a role") from None
            account = service.add(
                session, viewer.actor, values.get("email", ""), role, values.get("name") or None
            )
            return account.email, password_url(settings, account, LinkKind.invite)

        try:
            email, link = await in_transaction(request, work)
        except LinkedError as exc:
            return await page(request, viewer, status_code=422, error=sentence(exc), values=values)
        return await page(request, viewer, link=(email, link))

    async def change(request: Request, viewer: Viewer, account_id: int, action: str) -> Response:
        settings, values = settings_of(request), await form_values(request)

        def work(session: Session) -> tuple[str, str] | None:
            account = session.get(Account, account_id)
            if account is None:
                raise LinkedError("there is no such account")
            if account.id == viewer.account_id and action in ("role", "disable"):
                raise LinkedError("you cannot change your own role or disable yourself")
            if action == "role":
                try:
                    role = Role(values.get("role", ""))
                except ValueError:
                    raise LinkedError("choose a role") from None
                service.set_role(session, viewer.actor, account.email, role)
            elif action == "disable":
                service.disable(session, viewer.actor, account.email)
            elif action == "enable":
                service.enable(session, viewer.actor, account.email)
            else:
                audit.record(
                    session, viewer.actor, "account.reset_link", f"account:{account.email_key}"
                )
                return account.email, password_url(settings, account, LinkKind.invite)
            return None

        link = await commit(request, work)
        if link is not None:
            return await page(request, viewer, link=link)
        return see_other(f"{BASE}/?done={action}")

    @api.post("/users/{account_id:int}/role", summary="Change an account's role")
    async def role(request: Request, viewer: Admin, account_id: int) -> Response:
        return await change(request, viewer, account_id, "role")

    @api.post("/users/{account_id:int}/disable", summary="Disable an account")
    async def disable(request: Request, viewer: Admin, account_id: int) -> Response:
        return await change(request, viewer, account_id, "disable")

    @api.post("/users/{account_id:int}/enable", summary="Enable an account")
    async def enable(request: Request, viewer: Admin, account_id: int) -> Response:
        return await change(request, viewer, account_id, "enable")

    @api.post("/users/{account_id:int}/reset", summary="A new password link")
    async def reset(request: Request, viewer: Admin, account_id: int) -> Response:
        return await change(request, viewer, account_id, "reset")
