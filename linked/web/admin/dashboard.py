"""``/admin/``: the dashboard."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.requests import Request

from linked.reports.dashboard import figures
from linked.subscribers.models import SubscriberStatus
from linked.web.admin.auth import Editor
from linked.web.admin.chart import line_chart
from linked.web.admin.render import console_of, reading


def routes(api: APIRouter) -> None:
    @api.get("/", summary="Dashboard")
    async def dashboard(request: Request, viewer: Editor) -> Response:
        data = await reading(request, figures)
        return console_of(request).page(
            "admin/dashboard.html",
            viewer,
            current="Dashboard",
            data=data,
            chart=line_chart(data.series),
            pending=SubscriberStatus.pending,
        )
