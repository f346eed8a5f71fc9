"""The delivery loop of ``linked serve`` and ``linked worker``: carry running sends to the end.

Every ``worker_poll_seconds`` it looks for sends with status ``running`` and rows
left to send (a scheduled job or ``linked send --detach`` just planned one, or a
previous process stopped in the middle) and delivers them, with the message
composed when the send was planned (kept in the database, so a worker needs no
edition files). Any number of workers, on any machines sharing a PostgreSQL
database, can deliver the same send: rows are claimed under leases with ``FOR
UPDATE SKIP LOCKED`` and the rate limit is kept in the database
(:mod:`linked.delivery.quota`). :meth:`DeliveryWorker.stop` stops claiming rows and
lets the messages already on the wire finish; their rows are committed, and rows
not yet sent stay queued for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from linked.delivery import store
from linked.delivery.engine import DeliveryRun
from linked.delivery.models import SendStatus
from linked.delivery.run import make_run
from linked.delivery.service import prepare_planned
from linked.errors import LinkedError
from linked.scheduler import events
from linked.scheduler.models import EventKind
from linked.settings import Settings
from linked.transport import SessionRefused

log = logging.getLogger("linked.worker")


class DeliveryWorker:
    """Deliver running sends one after another until :meth:`stop`."""

    def __init__(self, settings: Settings, db: Engine) -> None:
        self.settings = settings
        self.db = db
        self._stopping = False
        self._wake = asyncio.Event()
        self._current: DeliveryRun | None = None
        self._blocked: set[str] = set()

    def stop(self) -> None:
        """Stop claiming; the current run ends after its in-flight messages."""
        self._stopping = True
        if self._current is not None:
            self._current.paused = True
        self._wake.set()

    def poke(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """The loop: poll, deliver, sleep; returns after :meth:`stop`."""
        while not self._stopping:
            try:
                for edition in await asyncio.to_thread(store.sends_to_resume, self.db):
                    if self._stopping:
                        break
                    await self._deliver(edition)
            except Exception:  # keep serving; the next poll tries again
                log.exception("event=worker.error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.worker_poll_seconds)
            self._wake.clear()

    async def _deliver(self, edition: str) -> None:
        try:
            prepared = await asyncio.to_thread(prepare_planned, self.settings, self.db, edition)
        except LinkedError as exc:
            if edition not in self._blocked:
                log.warning("event=worker.blocked edition=%s detail=%r", edition, str(exc))
                self._blocked.add(edition)
            return
        self._blocked.discard(edition)
        run = make_run(self.settings, self.db, edition, prepared)
        self._current = run
        if self._stopping:
            run.paused = True
        log.info("event=worker.deliver edition=%s", edition)
        try:
            status = await run.run()
        except SessionRefused as exc:
            # No further login until the operator fixes the setting and resumes the send.
            await asyncio.to_thread(store.set_send_status, self.db, edition, SendStatus.paused)
            log.error(
                "event=worker.refused edition=%s detail=%r action=%r",
                edition,
                str(exc),
                f"fix the setting, then: linked resume {edition}",
            )
            return
        finally:
            self._current = None
            await run.transport.close()
        log.info("event=worker.finished edition=%s status=%s", edition, status)
        if status == SendStatus.done:
            await asyncio.to_thread(_record_scheduled_done, self.db, edition)


def _record_scheduled_done(db: Engine, edition: str) -> None:
    """A scheduled send this worker finished shows as ``sent`` in ``linked schedule list``."""
    latest = events.latest(db).get(edition)
    if latest is not None and latest.kind == EventKind.started:
        events.record(db, edition, EventKind.sent, "delivery done", latest.run_at)
