"""``/admin/sends/{id}``: follow a send live, pause, resume and retry it, and read it as sent.

The progress block polls ``/admin/sends/{id}/progress`` with htmx (and stops once the
send is done); the numbers are :func:`linked.delivery.report.status_report`, what
``linked status`` shows. Pause, resume and retry (:mod:`linked.delivery.controls`) only
change the send's flag and rows, with their audit event in the same transaction (the
functions ``linked pause``, ``resume`` and ``retry`` call); the delivery workers of
``linked serve`` / ``linked worker`` do the sending.
``/admin/sends/{id}/content`` shows ``send.content``, the email exactly as composed
for the send, inside a sandboxed frame under a policy that runs no script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.accounts.audit import Actor
from linked.compose.composer import ComposedEmail
from linked.delivery import controls
from linked.delivery.models import FINAL_STATES, Send, SendStatus
from linked.delivery.plan import load_content
from linked.delivery.report import StatusReport, status_report
from linked.web.admin.auth import Editor, Sender
from linked.web.admin.editing import commit
from linked.web.admin.render import (
    PREFIX,
    Refused,
    Viewer,
    console_of,
    reading,
    see_other,
)
from linked.web.state import engine_of

#: The email as sent may hold anything an edition held: no script runs, nothing is fetched
#: but images, and its links cannot navigate the console.
CONTENT_POLICY = (
    "default-src 'none'; img-src 'self' https: http: data:; style-src 'self' 'unsafe-inline'; "
    "frame-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "script-src 'none'"
)
DONE = {
    "pause": "Paused: the workers stop between messages.",
    "resume": "Resumed: the workers carry the send on.",
    "retry": "Deferred and temporarily failed messages are queued again.",
}


@dataclass(frozen=True)
class Progress:
    """One reading of the send for the page."""

    report: StatusReport

    @property
    def done(self) -> int:
        return sum(self.report.counts[state] for state in FINAL_STATES)

    @property
    def left(self) -> int:
        return max(0, self.report.total - self.done)

    @property
    def percent(self) -> int:
        total = self.report.total
        return round(100 * self.done / total) if total else 100

    @property
    def time_left(self) -> str:
        rate = self.report.rate
        if not self.left:
            return "none"
        if not rate:
            return "not known yet"
        seconds = int(self.left / rate)
        return str(timedelta(seconds=seconds))

    @property
    def finished(self) -> bool:
        return self.report.status == SendStatus.done


async def _send(request: Request, send_id: int) -> Send:
    found = await reading(request, lambda s: s.get(Send, send_id))
    if found is None:
        raise Refused(404, "No such send", "There is no send with this number.")
    return found


def routes(api: APIRouter) -> None:
    async def progress_of(request: Request, send: Send) -> Progress:
        engine = engine_of(request)
        report = await run_in_threadpool(status_report, engine, send.edition)
        return Progress(report)

    @api.get("/sends/{send_id:int}", summary="Follow a send")
    async def send_page(request: Request, viewer: Editor, send_id: int) -> Response:
        send = await _send(request, send_id)
        return console_of(request).page(
            "admin/send_progress.html",
            viewer,
            current="Editions",
            send=send,
            progress=await progress_of(request, send),
            notice=DONE.get(request.query_params.get("done", "")),
            error=None,
        )

    @api.get("/sends/{send_id:int}/progress", summary="A send's progress (htmx)")
    async def progress(request: Request, viewer: Editor, send_id: int) -> Response:
        send = await _send(request, send_id)
        return console_of(request).page(
            "admin/send_progress_block.html",
            viewer,
            send=send,
            progress=await progress_of(request, send),
        )

    async def steer(request: Request, viewer: Viewer, send_id: int, action: str) -> Response:
        send = await _send(request, send_id)
        change: Callable[[Session, str, Actor], object] = {
            "pause": controls.pause_send,
            "resume": controls.resume_send,
            "retry": controls.retry_send,
        }[action]

        def work(session: Session) -> None:
            # The change and its audit event (send.<action>) commit together.
            change(session, send.edition, viewer.actor)

        await commit(request, work)
        return see_other(f"{PREFIX}/sends/{send_id}?done={action}")

    @api.post("/sends/{send_id:int}/pause", summary="Pause a send")
    async def pause(request: Request, viewer: Sender, send_id: int) -> Response:
        return await steer(request, viewer, send_id, "pause")

    @api.post("/sends/{send_id:int}/resume", summary="Resume a send")
    async def resume(request: Request, viewer: Sender, send_id: int) -> Response:
        return await steer(request, viewer, send_id, "resume")

    @api.post("/sends/{send_id:int}/retry", summary="Retry deferred and temporary failures")
    async def retry(request: Request, viewer: Sender, send_id: int) -> Response:
        return await steer(request, viewer, send_id, "retry")

    @api.get("/sends/{send_id:int}/content", summary="The email as it was sent")
    async def content(request: Request, viewer: Editor, send_id: int) -> Response:
        send = await _send(request, send_id)
        composed: ComposedEmail | None = load_content(send)
        response = console_of(request).page(
            "admin/send_content.html",
            viewer,
            current="Editions",
            send=send,
            composed=composed,
            script_urls=[],
        )
        response.headers["Content-Security-Policy"] = CONTENT_POLICY
        return response
