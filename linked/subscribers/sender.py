"""The notice sender: sends queued confirmation and welcome mails, off the request path.

The web app runs one per process in its lifespan. A handler queues a notice in its
transaction and hands it over with :meth:`NoticeSender.submit`; the sender sends in
batches over one long-lived transport and deletes the rows that were accepted, in
one write per batch. Every ``poll_seconds`` it also claims notices whose time has
come (left by a process that died, or waiting to be retried). Templates are
composed once (:class:`~linked.subscribers.mail.NoticeComposer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from linked.db.writes import write
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import notices, ratelimit
from linked.subscribers.mail import composer_for, send_notice
from linked.subscribers.models import NoticeKind
from linked.subscribers.notices import QueuedNotice
from linked.transport import Transport, TransportError, open_transport

log = logging.getLogger(__name__)

#: Most notices sent between two writes to the database.
BATCH = 200


class NoticeSender:
    """Sends notices handed over in this process, and any that are due in the database."""

    def __init__(self, settings: Settings, engine: Engine, *, poll_seconds: float = 5.0) -> None:
        self.settings = settings
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.composer = composer_for(settings)
        self._queue: asyncio.Queue[QueuedNotice] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._transport: Transport | None = None

    def submit(self, notice: QueuedNotice) -> None:
        """Send this queued notice soon (its row is committed, so nothing is lost if not)."""
        self._queue.put_nowait(notice)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Send until :meth:`stop`; then send what was handed over and close the transport."""
        # Compose both notices before the first request needs them (MJML, off the loop).
        for kind in NoticeKind:
            with contextlib.suppress(LinkedError):
                await asyncio.to_thread(self.composer.prepared, kind)
        try:
            while not self._stopping.is_set():
                batch = await self._next_batch()
                if batch:
                    await self.send(batch)
                else:
                    await self.sweep()
            await self.send(self._drain())
        finally:
            await self._close()

    async def _next_batch(self) -> list[QueuedNotice]:
        """Notices handed over, waiting at most ``poll_seconds`` (or until stopped) for one."""
        getter = asyncio.ensure_future(self._queue.get())
        stopper = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait(
            {getter, stopper}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        stopper.cancel()
        if not getter.done():
            getter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await getter
            return []
        return [getter.result(), *self._drain()]

    def _drain(self) -> list[QueuedNotice]:
        batch: list[QueuedNotice] = []
        while len(batch) < BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def sweep(self) -> int:
        """Claim and send notices that are due in the database; return how many were sent."""

        def claim(session: Session) -> list[QueuedNotice]:
            ratelimit.prune(session, ratelimit.ADDRESS_WINDOW)
            return notices.claim_due(session, limit=BATCH)

        claimed = await asyncio.to_thread(write, self.engine, claim)
        return await self.send(claimed) if claimed else 0

    async def send(self, batch: list[QueuedNotice]) -> int:
        """Send ``batch``; delete the accepted rows, reschedule the others; return accepted."""
        if not batch:
            return 0
        sent: list[int] = []
        failed: list[tuple[QueuedNotice, str, bool]] = []
        for notice in batch:
            try:
                transport = self._transport or open_transport(self.settings)
                self._transport = transport
                await send_notice(self.composer, transport, notice.kind, notice.mailing)
            except TransportError as exc:
                failed.append((notice, str(exc), exc.permanent))
                await self._close()  # a fresh connection for the next one
            except LinkedError as exc:
                failed.append((notice, str(exc), True))
            else:
                sent.append(notice.id)
        await asyncio.to_thread(write, self.engine, lambda s: self._record(s, sent, failed))
        return len(sent)

    def _record(
        self,
        session: Session,
        sent: list[int],
        failed: list[tuple[QueuedNotice, str, bool]],
    ) -> None:
        notices.done(session, sent)
        for notice, error, permanent in failed:
            attempts = max(notice.attempts, 1)
            if permanent or attempts >= self.settings.max_attempts:
                # Logged by id, not address: logs are not a place for personal data.
                log.warning(
                    "event=notice.dropped kind=%s subscriber=%s error=%s",
                    notice.kind.value,
                    notice.mailing.subscriber_id,
                    error,
                )
                notices.done(session, [notice.id])
                continue
            delay = timedelta(seconds=self.settings.retry_base_seconds * 2 ** (attempts - 1))
            notices.retry_later(session, notice.id, error, after=delay)

    async def _close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            with contextlib.suppress(TransportError, OSError):
                await transport.close()
