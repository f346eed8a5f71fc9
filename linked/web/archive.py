"""The public archive served live: the same pages as ``linked archive build``, per request.

Handlers only look things up and hand over what :class:`~linked.archive.Archive`
rendered, so a page served here is identical to the file the static build writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from linked.archive import Archive, Catalogue
from linked.edition import Edition
from linked.settings import Settings

HTML = "text/html; charset=utf-8"
T = TypeVar("T")


def router(settings: Settings, archive: Archive | None = None) -> APIRouter:
    """Routes for ``/``, ``/editions/{slug}/``, images, ``/feed.xml``, search and ``/static``."""
    site = archive or Archive(settings)
    # Loading and rendering touch the disk and are CPU-bound: keep them off the event loop,
    # one at a time (the Archive's caches are not shared between threads).
    lock = asyncio.Lock()
    api = APIRouter(tags=["archive"])

    async def run(fn: Callable[[], T]) -> T:
        async with lock:
            return await asyncio.to_thread(fn)

    def not_found() -> HTMLResponse:
        return HTMLResponse(site.not_found_page(), status_code=404, media_type=HTML)

    async def published(slug: str) -> tuple[Catalogue, Edition | None]:
        cat = await run(site.catalogue)
        return cat, cat.find(slug)

    @api.get("/", response_class=HTMLResponse, summary="Archive index")
    @api.get("/index.html", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> Response:
        return HTMLResponse(await run(lambda: site.index_page(site.catalogue())), media_type=HTML)

    # Pages link each other as .../index.html, so a built site/ also works from disk.
    @api.get("/editions/{slug}/", response_class=HTMLResponse, summary="One edition")
    @api.get("/editions/{slug}/index.html", response_class=HTMLResponse, include_in_schema=False)
    async def edition(slug: str) -> Response:
        _, found = await published(slug)
        if found is None:
            return await run(not_found)
        return HTMLResponse(await run(lambda: site.edition_page(found)), media_type=HTML)

    @api.get("/editions/{slug}/images/{name:path}", summary="An edition's image")
    async def image(slug: str, name: str) -> Response:
        _, found = await published(slug)
        path = site.image_file(found, name) if found is not None else None
        return FileResponse(path) if path is not None else await run(not_found)

    @api.get("/feed.xml", summary="Atom feed with full content")
    async def feed() -> Response:
        body = await run(lambda: site.feed(site.catalogue()))
        return Response(body, media_type="application/atom+xml")

    @api.get("/search.json", summary="Search index")
    async def search_json() -> Response:
        body = await run(lambda: site.search_data(site.catalogue()))
        return Response(body, media_type="application/json")

    @api.get("/search.html", response_class=HTMLResponse, summary="Search page")
    async def search_page() -> Response:
        return HTMLResponse(await run(site.search_page), media_type=HTML)

    @api.get("/static/{name}", summary="Archive stylesheet, script and logo")
    async def static(name: str) -> Response:
        path: Path | None = site.static_file(name)
        return FileResponse(path) if path is not None else await run(not_found)

    return api
