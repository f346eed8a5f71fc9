"""Corrections after a send: the archive says "Corrected on DATE" when an edition's files
changed after it was sent (the send keeps the hash of the files it was composed from)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from linked.authoring.approval import edition_files, edition_hash
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
            if edition_hash(edition.path) == sent_hash:
                return None
            newest = max(path.stat().st_mtime for path in edition_files(edition.path))
        except (LinkedError, OSError, ValueError):
            return None
        return datetime.fromtimestamp(newest, self.settings.zone).date()
