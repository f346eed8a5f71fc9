"""``/admin/audit/``: the audit log with filters (administrators only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.accounts import audit
from linked.accounts.audit import AuditFilter
from linked.accounts.models import AuditEvent
from linked.web.admin.auth import Admin
from linked.web.admin.render import console_of, reading


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def routes(api: APIRouter) -> None:
    @api.get("/audit/", summary="Audit log")
    async def audit_log(
        request: Request,
        viewer: Admin,
        user: str = "",
        action: str = "",
        since: str = "",
        until: str = "",
        before: int | None = None,
    ) -> Response:
        start, end = _day(since), _day(until)
        where = AuditFilter(
            since=datetime.combine(start, datetime.min.time(), UTC) if start else None,
            until=datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
            if end
            else None,
            actor=user.strip() or None,
            action=action or None,
        )

        def work(session: Session) -> tuple[list[AuditEvent], list[str]]:
            rows = list(audit.events(session, where, before_id=before, limit=audit.PAGE_SIZE + 1))
            return rows, audit.actions(session)

        rows, actions = await reading(request, work)
        more = len(rows) > audit.PAGE_SIZE
        rows = rows[: audit.PAGE_SIZE]
        query = {"user": user, "action": action, "since": since, "until": until}
        return console_of(request).page(
            "admin/audit.html",
            viewer,
            current="Audit log",
            rows=rows,
            actions=actions,
            who=audit.who,
            query=query,
            next_before=rows[-1].id if more and rows else None,
            bad_date=bool((since and not start) or (until and not end)),
        )
