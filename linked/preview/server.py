"""The preview web server: the page, the email it frames, images, and a reload channel.

The email is composed with ``base_url`` set to this server, so its images and
logo load from the edition folder being edited rather than the public site.
The page listens to ``/events`` (server-sent events) and reloads itself after
every save of an edition file or template.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.responses import StreamingResponse

from linked.compose.templates import DEFAULT_TEMPLATES, template_dirs
from linked.errors import LinkedError
from linked.preview.changes import Changes, watch
from linked.preview.page import preview_edition, preview_environment, render_page
from linked.settings import Settings

#: How long an idle event stream waits before a keep-alive comment.
KEEPALIVE_SECONDS = 15.0


def create_preview_app(settings: Settings, folder: Path) -> FastAPI:
    """A FastAPI app previewing ``folder``; ``settings.base_url`` must be this server's URL."""
    folder = folder.resolve()
    env = preview_environment(settings)
    changes = Changes()
    stop = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        paths = [folder, settings.templates_dir.resolve(), DEFAULT_TEMPLATES]
        task = asyncio.create_task(watch(dict.fromkeys(paths), changes, stop))
        yield
        stop.set()
        changes.bump()  # let open event streams finish so shutdown is quick
        await task

    app = FastAPI(title="Linked preview", lifespan=lifespan, openapi_url=None)

    def current() -> tuple[str, str | None, str | None]:
        preview = preview_edition(settings, folder)
        return render_page(env, preview, changes.version), preview.html, preview.text

    @app.get("/", response_class=HTMLResponse)
    async def page() -> Response:
        html, _, _ = await asyncio.to_thread(current)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/email.html", response_class=HTMLResponse)
    async def email_html() -> Response:
        _, html, _ = await asyncio.to_thread(current)
        if html is None:
            return HTMLResponse("<!DOCTYPE html><title>No email</title>", status_code=422)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/email.txt", response_class=PlainTextResponse)
    async def email_text() -> Response:
        _, _, text = await asyncio.to_thread(current)
        return PlainTextResponse(text or "", status_code=200 if text is not None else 422)

    @app.get("/events")
    async def events(v: int = 0) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            seen = v
            while not stop.is_set():
                version = await changes.wait(seen, KEEPALIVE_SECONDS)
                if stop.is_set():
                    return
                if version != seen:
                    seen = version
                    yield f"data: {version}\n\n"
                else:
                    yield ": still here\n\n"

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    @app.get("/editions/{slug}/{name:path}")
    async def asset(slug: str, name: str) -> Response:
        if not _plain(slug) or not _plain(name):
            return PlainTextResponse("not found", status_code=404)
        target = (folder / name).resolve()
        if slug != folder.name or not target.is_relative_to(folder) or not target.is_file():
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(target, headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if not _plain(name):
            return PlainTextResponse("not found", status_code=404)
        for templates in template_dirs(settings):
            path = (templates / "static" / name).resolve()
            if path.is_relative_to(templates / "static") and path.is_file():
                return FileResponse(path)
        return PlainTextResponse("not found", status_code=404)

    return app


def _plain(part: str) -> bool:
    """A path part with no control character or undecodable byte (a NUL would be a 500)."""
    return part.isprintable() and "\ufffd" not in part


def serve_preview(
    settings: Settings, folder: Path, host: str = "127.0.0.1", port: int = 8025
) -> None:
    """Run the preview server until interrupted (the ``linked preview`` command)."""
    if not folder.is_dir():
        raise LinkedError(f"edition folder {folder} does not exist")
    local = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    app = create_preview_app(local, folder)
    print(f"Previewing {folder.name} at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    uvicorn.Server(config).run()
