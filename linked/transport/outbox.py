"""Write each message as an ``.eml`` file, so a newcomer can follow a send with no server."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from linked.transport.base import Envelope, Transport


class OutboxTransport(Transport):
    """Writes ``outbox/<time>-<n>-<recipient>.eml``; files are written atomically.

    Addresses are checked as an SMTP server would get them (:mod:`linked.idn`): one
    that cannot be put on the wire fails the same way. A file can hold a message to a
    non-ASCII local part, so the outbox offers SMTPUTF8 unless ``smtputf8=False``.
    """

    def __init__(self, folder: Path, *, smtputf8: bool = True) -> None:
        self.folder = folder
        self.smtputf8 = smtputf8
        self._counter = itertools.count(1)

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        wired = Envelope.of(sender, recipients)
        wired.require(self.smtputf8)
        await asyncio.to_thread(self._write, wired.recipients, message)

    def _write(self, recipients: Sequence[str], message: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        first = recipients[0] if recipients else "nobody"
        safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in first)[:80]
        name = f"{time.time_ns()}-{os.getpid()}-{next(self._counter):06d}-{safe}.eml"
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message)
        tmp.replace(path)
        return path
