"""The long-running processes: ``linked serve`` and ``linked worker``.

``linked serve`` is the web app, the scheduler and a delivery worker in one process:
uvicorn runs the app and turns SIGTERM/SIGINT into a graceful shutdown of the app's
lifespan, in which the worker stops claiming rows, lets messages in flight finish
and the scheduler stops; the next start resumes from the rows' states.
``linked worker`` is the delivery worker alone, to run as many as the relay allows.
Both fetch the bounce mailbox every ``bounce_poll_minutes`` (one fetcher at a time).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from linked import retention
from linked.bounces.poll import poll_bounces
from linked.delivery.service import open_database
from linked.errors import LinkedError
from linked.scheduler.runtime import Scheduler
from linked.scheduler.worker import DeliveryWorker
from linked.settings import Settings
from linked.transport import SMTPURL
from linked.web.app import create_app
from linked.web.proxies import LOOPBACK

log = logging.getLogger("linked.server")
LOG_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def smtp_check(settings: Settings) -> Callable[[], str]:
    """A health check: does the SMTP server greet (a 220 line)? ``ok (outbox)`` when unset.

    Only the greeting is read, then the connection is closed: no TLS handshake or
    login, so the check is cheap enough for a probe every few seconds. With implicit
    TLS the greeting comes inside TLS, so there a TCP connection is all it asks.
    """

    def check() -> str:
        if not settings.smtp_url:
            return "ok (outbox)"
        url = SMTPURL.parse(settings.smtp_url)
        with socket.create_connection((url.host, url.port), timeout=2) as sock:
            if url.use_tls:
                return "ok"
            greeting = sock.recv(512).decode("ascii", "replace")
        if not greeting.startswith("220"):
            raise RuntimeError(f"SMTP server did not greet: {greeting.strip()[:80]!r}")
        return "ok"

    return check


def build_app(settings: Settings) -> FastAPI:
    """The web app with the scheduler and the delivery worker started in its lifespan."""
    app = create_app(settings)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            db = await asyncio.to_thread(open_database, settings)
            scheduler = Scheduler(settings, db=db, deliver_in_job=False)
            worker = DeliveryWorker(settings, db)

            def scheduler_check() -> str:
                if not scheduler.running:
                    raise RuntimeError("scheduler not running")
                return "ok"

            application.state.health_checks = {
                "scheduler": scheduler_check,
                "smtp": smtp_check(settings),
            }
            await asyncio.to_thread(scheduler.start)
            worker_task = asyncio.create_task(_worker_loop(worker, scheduler))
            stop_bounces = asyncio.Event()
            bounce_task = asyncio.create_task(poll_bounces(settings, db, stop_bounces))
            retention_task = asyncio.create_task(retention_loop(settings, db))
            log.info("event=server.started")
            try:
                yield
            finally:
                log.info("event=server.stopping")
                worker.stop()
                stop_bounces.set()
                retention_task.cancel()
                await asyncio.gather(retention_task, return_exceptions=True)
                await worker_task
                await bounce_task
                await asyncio.to_thread(scheduler.shutdown)
                db.dispose()
                log.info("event=server.stopped")

    app.router.lifespan_context = lifespan
    return app


async def _worker_loop(worker: DeliveryWorker, scheduler: Scheduler) -> None:
    """Run the worker, and make the scheduler re-read its job store on every poll."""

    async def wake_scheduler() -> None:
        while True:
            await asyncio.to_thread(scheduler.wakeup)
            worker.poke()
            await asyncio.sleep(worker.settings.worker_poll_seconds)

    waker = asyncio.create_task(wake_scheduler())
    try:
        await worker.run()
    finally:
        waker.cancel()
        await asyncio.gather(waker, return_exceptions=True)


async def retention_loop(settings: Settings, db: Engine) -> None:
    """The daily retention job: look every hour whether a day has passed since the last run.

    Every process may look; the audit row of a run tells the others it is done (two
    processes racing at the same moment would both purge, which deletes nothing twice).
    """
    while True:
        try:
            if await asyncio.to_thread(retention.purge_if_due, settings, db):
                log.info("event=retention.purged")
        except SQLAlchemyError as exc:
            log.warning("event=retention.failed error=%r", str(exc)[:200])
        await asyncio.sleep(retention.CHECK_EVERY.total_seconds())


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_server(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, *, proxy_headers: bool = False
) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully.

    ``X-Forwarded-For`` is believed only from ``settings.trusted_proxies``, and with
    ``proxy_headers`` also from a proxy on this host (see :mod:`linked.web.proxies`);
    uvicorn's own handling, which trusts 127.0.0.1 by default, is off. uvicorn
    re-raises the signal after the shutdown, so the process ends "terminated by
    SIGTERM" as a service manager expects.
    """
    if proxy_headers:
        trusted = tuple(dict.fromkeys((*settings.trusted_proxies, *LOOPBACK)))
        settings = settings.model_copy(update={"trusted_proxies": trusted})
    _configure_logging()
    uvicorn.run(
        build_app(settings),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=30,
        proxy_headers=False,
        # Answers are small and quick: a rush of sign-ups is many connections at once.
        backlog=2048,
    )


def run_worker(settings: Settings) -> None:
    """Deliver running sends until SIGTERM/SIGINT; then finish the messages on the wire and stop.

    On a shared database the secret key must be set explicitly: a key generated on
    this machine would sign unsubscribe links that the web app cannot read.
    """
    if not settings.secret_key and make_url(settings.database).get_backend_name() != "sqlite":
        raise LinkedError(
            "set LINKED_SECRET_KEY: every worker and the web app must sign links with the same key"
        )
    _configure_logging()
    asyncio.run(_work(settings))


async def _work(settings: Settings) -> None:
    db = await asyncio.to_thread(open_database, settings)
    worker = DeliveryWorker(settings, db)
    stop_bounces = asyncio.Event()

    def stop() -> None:
        worker.stop()
        stop_bounces.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
    log.info("event=worker.started")
    bounce_task = asyncio.create_task(poll_bounces(settings, db, stop_bounces))
    retention_task = asyncio.create_task(retention_loop(settings, db))
    try:
        await worker.run()
    finally:
        stop_bounces.set()
        retention_task.cancel()
        await asyncio.gather(retention_task, return_exceptions=True)
        await bounce_task
        db.dispose()
        log.info("event=worker.stopped")
