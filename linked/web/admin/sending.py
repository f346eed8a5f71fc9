"""``/admin/editions/{slug}/send``: approve, schedule (or change, or cancel) and send now.

Everyone signed in sees the state; only senders get the controls, and the POSTs need
the sender role. Each action is one library call the command line makes too:
:func:`linked.authoring.approval.approve`, :func:`linked.scheduler.service.schedule`
and ``unschedule`` (in the request's transaction, with their audit events),
:func:`linked.delivery.controls.queue_send` (which plans the send and leaves it to the
delivery workers, its rows, status and audit event in the request's transaction: the
request never sends mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.accounts.models import Role
from linked.authoring import approval
from linked.authoring.approval import ApprovalState
from linked.delivery import controls
from linked.delivery import service as delivery
from linked.delivery.models import Send
from linked.delivery.plan import get_send, recipients_left
from linked.errors import LinkedError
from linked.scheduler import service as scheduling
from linked.web.admin.auth import Editor, Sender, form_values
from linked.web.admin.editing import commit
from linked.web.admin.folders import edition_folder
from linked.web.admin.render import (
    PREFIX,
    Viewer,
    console_of,
    reading,
    see_other,
    sentence,
)
from linked.web.state import engine_of, in_transaction, settings_of

DONE = {
    "approved": "Approved. The edition can now be scheduled or sent.",
    "scheduled": "Scheduled.",
    "unscheduled": "The schedule was cancelled; nothing will be sent.",
}


@dataclass(frozen=True)
class SendPage:
    """Everything the page shows, read in one go."""

    state: ApprovalState
    send: Send | None
    recipients: int
    scheduled: datetime | None


def routes(api: APIRouter) -> None:
    async def page(
        request: Request,
        viewer: Viewer,
        slug: str,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        settings, engine = settings_of(request), engine_of(request)
        edition_folder(settings, slug)

        def work(session: Session) -> SendPage:
            return SendPage(
                approval.state(session, settings, slug),
                get_send(session, slug),
                recipients_left(session, slug),
                None,
            )

        found = await reading(request, work)
        when = await run_in_threadpool(scheduling.scheduled_for, settings, slug, engine)
        return console_of(request).page(
            "admin/send.html",
            viewer,
            status_code=status_code,
            current="Editions",
            slug=slug,
            tab="send",
            info=SendPage(found.state, found.send, found.recipients, when),
            zone=settings.timezone,
            errors=errors or {},
            values=values or {},
            notice=DONE.get(request.query_params.get("done", "")),
            can_send=viewer.can(Role.sender),
        )

    @api.get("/editions/{slug}/send", summary="Approve, schedule and send an edition")
    async def send_page(request: Request, viewer: Editor, slug: str) -> Response:
        return await page(request, viewer, slug)

    @api.post("/editions/{slug}/approve", summary="Approve an edition as it is")
    async def approve(request: Request, viewer: Sender, slug: str) -> Response:
        settings, values = settings_of(request), await form_values(request)
        edition_folder(settings, slug)

        def work(session: Session) -> None:
            approval.approve(
                session,
                settings,
                slug,
                viewer.account_id,
                viewer.actor,
                expected=values.get("digest") or None,
            )

        try:
            await in_transaction(request, work)
        except LinkedError as exc:
            errors = {"approve": sentence(exc)}
            return await page(request, viewer, slug, status_code=409, errors=errors)
        return see_other(f"{PREFIX}/editions/{slug}/send?done=approved")

    @api.post("/editions/{slug}/schedule", summary="Schedule (or reschedule) the send")
    async def schedule(request: Request, viewer: Sender, slug: str) -> Response:
        settings, values = settings_of(request), await form_values(request)
        edition_folder(settings, slug)
        errors: dict[str, str] = {}
        try:
            day = date.fromisoformat(values.get("date", "").strip())
        except ValueError:
            errors["date"] = "Give the date as year-month-day, for example 2021-05-28."
        try:
            hour = time.fromisoformat(values.get("time", "").strip())
        except ValueError:
            errors["time"] = "Give the time as hours:minutes, for example 09:00."
        if not errors:
            at = datetime.combine(day, hour.replace(tzinfo=None))

            def work(session: Session) -> None:
                scheduling.schedule(session, settings, slug, at, actor=viewer.actor)

            try:
                await in_transaction(request, work)
            except LinkedError as exc:
                errors["schedule"] = sentence(exc)
        if errors:
            return await page(request, viewer, slug, status_code=422, errors=errors, values=values)
        return see_other(f"{PREFIX}/editions/{slug}/send?done=scheduled")

    @api.post("/editions/{slug}/schedule/cancel", summary="Cancel the scheduled send")
    async def unschedule(request: Request, viewer: Sender, slug: str) -> Response:
        settings = settings_of(request)
        edition_folder(settings, slug)
        await commit(
            request, lambda session: scheduling.unschedule(session, slug, actor=viewer.actor)
        )
        return see_other(f"{PREFIX}/editions/{slug}/send?done=unscheduled")

    @api.post("/editions/{slug}/send", summary="Send now to every confirmed subscriber")
    async def send_now(request: Request, viewer: Sender, slug: str) -> Response:
        settings = settings_of(request)
        values = await form_values(request)
        folder = edition_folder(settings, slug)
        typed = values.get("count", "").strip()

        def confirm(recipients: int) -> bool:
            return typed == str(recipients)

        try:
            digest, composed, _prepared = await run_in_threadpool(
                delivery.compose_for_send, settings, folder
            )

            def work(session: Session) -> controls.SendResult:
                # The rows, the running status and send.start commit together.
                return controls.queue_send(
                    session,
                    settings,
                    slug,
                    composed,
                    digest=digest,
                    confirm=confirm,
                    actor=viewer.actor,
                )

            result = await in_transaction(request, work)
        except LinkedError as exc:
            errors = {"send": sentence(exc)}
            return await page(request, viewer, slug, status_code=409, errors=errors)
        if result.status == "cancelled":
            errors = {
                "count": f"Type {result.recipients}, the number of people it goes to, "
                "to send it. Nothing was sent."
            }
            return await page(request, viewer, slug, status_code=422, errors=errors)
        send = await reading(request, lambda s: get_send(s, slug))
        assert send is not None and send.id is not None
        return see_other(f"{PREFIX}/sends/{send.id}")
