"""The console at ``/admin/``: handlers only; the work is done by library functions that the
command line calls too (``linked.accounts``, ``linked.subscribers``, ``linked.reports``,
``linked.authoring``)."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from linked.compose.templates import template_dirs
from linked.settings import Settings
from linked.web.admin import (
    account,
    articles,
    audit,
    dashboard,
    editions,
    images,
    people,
    review,
    sending,
    sends,
    signin,
    users,
)
from linked.web.admin.render import PREFIX, Console, Refused, console_route

#: The one console route that takes a file, and the request size it may have (the CSV
#: plus room for the multipart envelope); every other route keeps the app's small limit.
IMPORT_PATH = f"{PREFIX}/subscribers/import"
MAX_IMPORT_REQUEST_BYTES = people.MAX_IMPORT_BYTES + 64 * 1024
#: Image uploads are posted under this prefix, with their own limit.
UPLOAD_PREFIX = images.UPLOAD_PREFIX
MAX_UPLOAD_REQUEST_BYTES = images.MAX_UPLOAD_REQUEST_BYTES

_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(css|js|txt)$")


def router(settings: Settings) -> APIRouter:
    """Every ``/admin`` route; each (but sign-in and password links) needs a signed-in role."""
    api = APIRouter(
        prefix=PREFIX, route_class=console_route(Console(settings)), include_in_schema=False
    )
    static_dirs = [folder / "admin" / "static" for folder in template_dirs(settings)]

    @api.get("/static/{name}", summary="Console stylesheet and scripts")
    async def static(name: str) -> Response:
        if _STATIC_NAME.match(name):
            for folder in static_dirs:
                path = folder / name
                if path.is_file():
                    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
        raise Refused(404, "Page not found", "There is nothing at this address.")

    signin.routes(api)
    dashboard.routes(api)
    editions.routes(api)
    articles.routes(api)
    review.routes(api)
    people.routes(api)
    audit.routes(api)
    account.routes(api)
    users.routes(api)
    images.routes(api)
    sending.routes(api)
    sends.routes(api)
    return api
