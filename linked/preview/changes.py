"""Watch the edition and the templates; tell waiting pages when something was saved."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path

from watchfiles import awatch


class Changes:
    """A version number that goes up on every save, and a way to wait for the next one."""

    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()

    def bump(self) -> None:
        self.version += 1
        # Wake everyone waiting on the old event; later waiters get a fresh one.
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seen: int, timeout: float) -> int:
        """Return the version once it differs from ``seen``, or after ``timeout`` seconds."""
        if self.version == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        return self.version


async def watch(paths: Iterable[Path], changes: Changes, stop: asyncio.Event) -> None:
    """Bump ``changes`` for every batch of file changes under ``paths`` until ``stop`` is set."""
    existing = [p for p in paths if p.exists()]
    if not existing:
        return
    # A short debounce: an editor's save is often several writes in a row.
    async for _batch in awatch(*existing, stop_event=stop, debounce=300, step=50):
        changes.bump()
