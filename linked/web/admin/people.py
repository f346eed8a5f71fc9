"""``/admin/subscribers/…``: find, look at, add, unsubscribe, resend, erase, import, export.

Handlers only: each calls one function of :mod:`linked.subscribers.manage` (the
same the command line calls) or :mod:`linked.reports.people`, in one transaction
with its audit row. Mails go after the commit, as background tasks.
"""

from __future__ import annotations

import io
import json
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from linked.errors import LinkedError
from linked.reports.people import Person, person
from linked.subscribers import mail, manage
from linked.subscribers.importer import COLUMNS, ImportReport
from linked.subscribers.models import SubscriberStatus
from linked.web.admin.auth import Admin, Editor, Sender, form_values
from linked.web.admin.editing import commit
from linked.web.admin.render import HEADERS, PREFIX, Refused, console_of, reading, see_other
from linked.web.state import in_transaction, settings_of

BASE = f"{PREFIX}/subscribers"
MAX_IMPORT_BYTES = 5_000_000
DONE = {
    "added": "The subscriber was added.",
    "unsubscribed": "They are unsubscribed. The consent history keeps when and by whom.",
    "resent": "A new confirmation mail is on its way.",
}


def _status(text: str) -> SubscriberStatus | None:
    try:
        return SubscriberStatus(text) if text else None
    except ValueError:
        return None


def _not_found(exc: LinkedError) -> Refused:
    return Refused(404, "Subscriber not found", str(exc)[:1].upper() + str(exc)[1:] + ".")


def routes(api: APIRouter) -> None:
    @api.get("/subscribers/", summary="Find subscribers")
    async def listing(
        request: Request, viewer: Editor, q: str = "", status: str = "", after: int | None = None
    ) -> Response:
        state = _status(status)

        # No counts here (the dashboard has them): a search stays one indexed query.
        page = await reading(request, lambda s: manage.search(s, q[:200], state, after=after))
        return console_of(request).page(
            "admin/subscribers.html",
            viewer,
            current="Subscribers",
            page=page,
            q=q[:200],
            status=state.value if state else "",
            statuses=list(SubscriberStatus),
            after_given=after is not None,
            notice="Their data was erased."
            if request.query_params.get("done") == "erased"
            else None,
        )

    @api.get("/subscribers/new", summary="Add-a-subscriber form")
    async def add_form(request: Request, viewer: Sender) -> Response:
        return console_of(request).page(
            "admin/subscriber_add.html", viewer, current="Subscribers", values={}, error=None
        )

    @api.post("/subscribers/new", summary="Add a subscriber")
    async def add(request: Request, viewer: Sender, background: BackgroundTasks) -> Response:
        settings = settings_of(request)
        values = await form_values(request)
        consent = values.get("consent") == "elsewhere"
        note = values.get("note", "").strip() or None

        def work(session: Session) -> tuple[int, Any]:
            if consent and not note:
                raise LinkedError("say where and when they gave consent")
            subscriber, mailing = manage.add(
                session,
                settings,
                viewer.actor,
                values.get("email", ""),
                values.get("name") or None,
                consent_note=note if consent else None,
                send_confirmation=not consent,
                source="console",
            )
            assert subscriber.id is not None
            return subscriber.id, mailing

        try:
            subscriber_id, mailing = await in_transaction(request, work)
        except LinkedError as exc:
            return console_of(request).page(
                "admin/subscriber_add.html",
                viewer,
                status_code=422,
                current="Subscribers",
                values=values,
                error=str(exc)[:1].upper() + str(exc)[1:] + ".",
            )
        if mailing is not None:
            background.add_task(mail.send_confirmations, settings, [mailing])
        return see_other(f"{BASE}/{subscriber_id}?done=added")

    @api.get("/subscribers/{subscriber_id:int}", summary="One subscriber")
    async def detail(request: Request, viewer: Editor, subscriber_id: int) -> Response:
        try:
            found: Person = await reading(request, lambda s: person(s, subscriber_id))
        except LinkedError as exc:
            raise _not_found(exc) from exc
        return console_of(request).page(
            "admin/subscriber.html",
            viewer,
            current="Subscribers",
            person=found,
            notice=DONE.get(request.query_params.get("done", "")),
            error=None,
        )

    async def act(request: Request, subscriber_id: int, work: Any, done: str) -> Response:
        return await commit(request, work) or see_other(f"{BASE}/{subscriber_id}?done={done}")

    @api.post("/subscribers/{subscriber_id:int}/unsubscribe", summary="Unsubscribe them")
    async def unsubscribe(request: Request, viewer: Sender, subscriber_id: int) -> Response:
        def work(session: Session) -> None:
            subscriber = manage.get(session, subscriber_id)
            manage.unsubscribe(session, viewer.actor, subscriber, source="console")

        return await act(request, subscriber_id, work, "unsubscribed")

    @api.post("/subscribers/{subscriber_id:int}/resend", summary="Resend the confirmation mail")
    async def resend(
        request: Request, viewer: Sender, subscriber_id: int, background: BackgroundTasks
    ) -> Response:
        settings = settings_of(request)

        def work(session: Session) -> None:
            subscriber = manage.get(session, subscriber_id)
            mailing = manage.resend(session, settings, viewer.actor, subscriber)
            background.add_task(mail.send_confirmations, settings, [mailing])

        return await act(request, subscriber_id, work, "resent")

    @api.get("/subscribers/{subscriber_id:int}/erase", summary="Erase page")
    async def erase_form(request: Request, viewer: Admin, subscriber_id: int) -> Response:
        try:
            found = await reading(request, lambda s: person(s, subscriber_id))
        except LinkedError as exc:
            raise _not_found(exc) from exc
        return console_of(request).page(
            "admin/subscriber_erase.html", viewer, current="Subscribers", person=found, error=None
        )

    @api.post("/subscribers/{subscriber_id:int}/erase", summary="Erase their data")
    async def erase(request: Request, viewer: Admin, subscriber_id: int) -> Response:
        typed = (await form_values(request)).get("confirm", "").strip().casefold()

        def work(session: Session) -> Response | None:
            subscriber = manage.get(session, subscriber_id)
            if typed != subscriber.email_key:
                found = person(session, subscriber_id)
                session.expunge_all()
                return console_of(request).page(
                    "admin/subscriber_erase.html",
                    viewer,
                    status_code=422,
                    current="Subscribers",
                    person=found,
                    error="Type their email address exactly to confirm. Nothing was erased.",
                )
            manage.erase(session, viewer.actor, subscriber.email)
            return None

        response = await act(request, subscriber_id, work, "erased")
        if response.status_code == 303:
            return see_other(f"{BASE}/?done=erased")
        return response

    @api.post("/subscribers/{subscriber_id:int}/data", summary="Their data as JSON")
    async def person_data(request: Request, viewer: Admin, subscriber_id: int) -> Response:
        def work(session: Session) -> dict[str, Any]:
            subscriber = manage.get(session, subscriber_id)
            return manage.person_data(session, viewer.actor, subscriber.email)

        try:
            data = await in_transaction(request, work)
        except LinkedError as exc:
            raise _not_found(exc) from exc
        body = json.dumps(data, indent=2, ensure_ascii=False)
        return Response(
            body,
            media_type="application/json",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="subscriber-{subscriber_id}.json"',
            },
        )

    @api.get("/subscribers/import", summary="Import form")
    async def import_form(request: Request, viewer: Sender) -> Response:
        return console_of(request).page(
            "admin/subscriber_import.html",
            viewer,
            current="Subscribers",
            report=None,
            error=None,
            columns=COLUMNS,
        )

    @api.post("/subscribers/import", summary="Import a CSV file")
    async def import_file(
        request: Request, viewer: Sender, background: BackgroundTasks
    ) -> Response:
        settings = settings_of(request)
        form = await request.form(max_files=1, max_part_size=MAX_IMPORT_BYTES)
        upload = form.get("file")
        consent = form.get("consent") == "yes"
        send = form.get("send_confirmations") == "yes"
        error: str | None = None
        report: ImportReport | None = None
        name = ""
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = "Choose a CSV file to import."
        else:
            name = upload.filename
            data = await upload.read(MAX_IMPORT_BYTES + 1)
            if len(data) > MAX_IMPORT_BYTES:
                error = f"The file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB."
            else:
                try:
                    lines = data.decode("utf-8-sig").splitlines(keepends=True)
                except UnicodeDecodeError:
                    error = "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
                else:
                    try:
                        report = await in_transaction(
                            request,
                            lambda s: manage.import_csv(
                                s,
                                settings,
                                viewer.actor,
                                lines,
                                consent_given_elsewhere=consent,
                                send_confirmations=send,
                                filename=name,
                            ),
                        )
                    except LinkedError as exc:
                        error = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        if report is not None and report.confirmations:
            background.add_task(mail.send_confirmations, settings, report.confirmations)
        return console_of(request).page(
            "admin/subscriber_import.html",
            viewer,
            status_code=422 if error else 200,
            current="Subscribers",
            report=report,
            error=error,
            filename=name,
            columns=COLUMNS,
        )

    @api.get("/subscribers/export", summary="Export page")
    async def export_form(request: Request, viewer: Admin) -> Response:
        return console_of(request).page(
            "admin/subscriber_export.html",
            viewer,
            current="Subscribers",
            statuses=list(SubscriberStatus),
        )

    @api.post("/subscribers/export", summary="Download the list as CSV")
    async def export(request: Request, viewer: Admin) -> Response:
        state = _status((await form_values(request)).get("status", ""))
        out = io.StringIO()
        await in_transaction(request, lambda s: manage.export_csv(s, viewer.actor, out, state))
        suffix = f"-{state.value}" if state else ""
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="subscribers{suffix}.csv"',
            },
        )
