"""The FastAPI app factory. Nothing is created at import time: call :func:`create_app`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from linked.archive import Archive
from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.db.writes import WriteBatcher
from linked.reports.corrections import Corrections
from linked.settings import Settings
from linked.subscribers.mailable import Mailability
from linked.subscribers.sender import NoticeSender
from linked.web import admin, archive, subscribe, webhooks
from linked.web.limits import BodyLimit
from linked.web.pages import Pages
from linked.web.paths import RejectBadPaths
from linked.web.security import SecurityHeaders, security_headers
from linked.web.state import engine_of, pages_of

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    """The web app for ``settings``; migrations are applied on start unless ``migrate=False``.

    Its lifespan runs the notice sender, which mails the confirmations and welcomes
    the handlers queue.
    """
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await run_in_threadpool(upgrade, settings, engine)
        sender = NoticeSender(settings, engine, poll_seconds=settings.worker_poll_seconds)
        app.state.notice_sender = sender
        task = asyncio.create_task(sender.run())
        try:
            yield
        finally:
            sender.stop()
            await task
            app.state.notice_sender = None
            await run_in_threadpool(app.state.write_batcher.close)
            engine.dispose()

    app = FastAPI(
        title=settings.bulletin_name,
        summary="The e-bulletin's public archive, and subscribing to, confirming and leaving it.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.write_batcher = WriteBatcher(engine)
    app.state.pages = Pages(settings)
    app.state.mailability = Mailability(settings)
    app.include_router(subscribe.router)
    site = Archive(settings, corrections=Corrections(settings, engine))
    app.include_router(archive.router(settings, site))
    app.include_router(webhooks.router(settings))
    app.include_router(admin.router(settings))
    app.add_api_route("/healthz", healthz, methods=["GET"], summary="Database reachable?")
    app.add_exception_handler(HTTPException, _http_problem)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)
    # Outermost last: bad paths and oversized bodies never reach a route; every answer
    # (these included) gets the security headers.
    # The console's CSV import and image upload are the routes that take a file.
    app.add_middleware(
        BodyLimit,
        by_prefix={
            admin.IMPORT_PATH: admin.MAX_IMPORT_REQUEST_BYTES,
            admin.UPLOAD_PREFIX: admin.MAX_UPLOAD_REQUEST_BYTES,
        },
    )
    app.add_middleware(RejectBadPaths, not_found=_not_found)
    app.add_middleware(SecurityHeaders, settings=settings)
    return app


async def healthz(request: Request) -> Response:
    """200 when the database (and any checks in ``app.state.health_checks``) answer, else 503."""
    engine = engine_of(request)

    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    # ``linked serve`` adds its scheduler and SMTP checks here (name -> callable).
    extra: dict[str, Callable[[], str]] = getattr(request.app.state, "health_checks", {})
    if not extra:
        return JSONResponse({"status": "ok"})
    checks = {"database": "ok"}
    healthy = True
    for name, check in extra.items():
        try:
            checks[name] = await run_in_threadpool(check)
        except Exception as exc:  # any failure of a check means "unavailable"
            checks[name] = f"unavailable: {exc}"
            healthy = False
    status = "ok" if healthy else "unavailable"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if healthy else 503)


_TITLES = {404: "Page not found", 405: "Not allowed here"}


async def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = _TITLES.get(exc.status_code, "Something went wrong")
    message = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
    response = pages_of(request).message(
        request, "error", title, message, status_code=exc.status_code
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _not_found(request: Request) -> Response:
    return await _http_problem(request, HTTPException(404))


async def _server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: the app's own page (503 when the database is unavailable)."""
    settings = request.app.state.settings
    if isinstance(exc, SQLAlchemyError):
        log.error("event=web.database_error path=%s error=%s", request.url.path, exc)
        response = pages_of(request).message(
            request,
            "unavailable",
            "Please try again",
            "We could not answer just now. Please try again in a minute.",
            status_code=503,
        )
        response.headers["Retry-After"] = "60"
    else:
        response = pages_of(request).message(
            request,
            "error",
            "Something went wrong",
            "Something went wrong on our side. Please try again later.",
            status_code=500,
        )
    # The server-error layer sits outside the middleware that adds these.
    for name, value in security_headers(settings).items():
        response.headers.setdefault(name, value)
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    return pages_of(request).message(
        request,
        "bad_request",
        "Something went wrong",
        "The request was not valid.",
        status_code=422,
    )
