"""Group commit of a send's outcomes: whatever is waiting goes into one transaction.

Workers hand over each outcome with :meth:`Recorder.submit` and get a future that
resolves once the outcome is committed (or fails with the commit's error); the engine
counts every committed batch through ``on_commit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Engine

from linked.delivery import outcomes
from linked.delivery.outcomes import Outcome
from linked.delivery.store import Job

Batch = list[tuple[Job, Outcome, asyncio.Future[None]]]


class Recorder:
    """Commits handed-over outcomes in batches, one transaction per batch."""

    def __init__(
        self,
        db: Engine,
        *,
        max_attempts: int,
        retry_base_seconds: float,
        on_commit: Callable[[Batch, dict[str, int]], None],
    ) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.on_commit = on_commit
        self._pending: Batch = []
        self._wake = asyncio.Event()

    def submit(self, job: Job, outcome: Outcome) -> asyncio.Future[None]:
        """Hand an outcome over; the future resolves once it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((job, outcome, future))
        self._wake.set()
        return future

    async def run(self) -> None:
        """Commit batches until cancelled; a failed commit fails its futures and ends the run."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                counts = await asyncio.to_thread(
                    outcomes.record,
                    self.db,
                    [(job, outcome) for job, outcome, _ in batch],
                    max_attempts=self.max_attempts,
                    retry_base_seconds=self.retry_base_seconds,
                )
            except BaseException as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                raise
            self.on_commit(batch, counts)
            for _, _, future in batch:
                if not future.done():
                    future.set_result(None)
