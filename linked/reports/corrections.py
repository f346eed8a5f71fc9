"""Corrections after a send: the archive says "Corrected on DATE" when an edition's files
changed after it was sent (the send keeps the hash of the files it was composed from)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from linked.authoring.approval import edition_hash
from linked.authoring.files import edition_files
from linked.delivery.plan import get_send
from linked.edition import Edition
from linked.errors import LinkedError
from linked.settings import Settings


class Corrections:
    """``corrections(edition)``: the local date its files last changed after its send, or None.

    None too for an edition never sent, or sent before sends kept the hash (0011).
    """

    def __init__(self, settings: Settings, db: Engine) -> None:
        self.settings = settings
        self.db = db
        #: Hash per edition, kept while its files' names, sizes and times are unchanged.
        self._hashes: dict[str, tuple[tuple[tuple[str, int, int], ...], str]] = {}

    def _hash(self, folder: Path) -> str:
        stamp = tuple(
            (path.as_posix(), stat.st_size, stat.st_mtime_ns)
            for path in edition_files(folder)
            for stat in [path.stat()]
        )
        cached = self._hashes.get(folder.name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        digest = edition_hash(folder)
        self._hashes[folder.name] = (stamp, digest)
        return digest

    def __call__(self, edition: Edition) -> date | None:
        try:
            with Session(self.db) as session:
                send = get_send(session, edition.slug)
                sent_hash = send.edition_hash if send is not None else None
        except SQLAlchemyError:  # no database yet (a page served before migrating)
            return None
        if not sent_hash:
            return None
        try:
            if self._hash(edition.path) == sent_hash:
                return None
            newest = max(path.stat().st_mtime for path in edition_files(edition.path))
        except (LinkedError, OSError, ValueError):
            return None
        return datetime.fromtimestamp(newest, self.settings.zone).date()
