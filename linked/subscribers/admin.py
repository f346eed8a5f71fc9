"""The administrator's operations, one function per ``linked subscribers`` command.

Each opens the database named by the settings (applying migrations first, as the
app does on start), works in one transaction, and returns plain data for the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import exporter, importer, mail, privacy, service
from linked.subscribers.models import Subscriber, SubscriberStatus


@dataclass(frozen=True)
class SubscriberRow:
    """A subscriber as shown by ``linked subscribers list``."""

    email: str
    name: str | None
    status: SubscriberStatus
    created_at: datetime
    confirmed_at: datetime | None
    source: str


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """A session on a migrated database; the engine is disposed afterwards."""
    engine = make_engine(settings)
    try:
        upgrade(settings, engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def add_subscriber(
    settings: Settings,
    email: str,
    name: str | None = None,
    *,
    consent_given_elsewhere: bool = False,
    send_confirmation: bool = False,
) -> SubscriberRow:
    """Add one address (confirmed only with consent given elsewhere)."""
    with open_session(settings) as session:
        subscriber, confirmation = service.add(
            session,
            settings,
            email,
            name,
            consent_given_elsewhere=consent_given_elsewhere,
            send_confirmation=send_confirmation,
        )
        session.commit()
        row = _row(subscriber)
    if confirmation is not None:
        asyncio.run(mail.send_confirmations(settings, [confirmation]))
    return row


def import_file(
    settings: Settings,
    path: Path,
    *,
    consent_given_elsewhere: bool = False,
    send_confirmations: bool = False,
) -> importer.ImportReport:
    """Import a CSV file in one transaction; send confirmation mails only when asked."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        raise LinkedError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LinkedError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    with open_session(settings) as session:
        report = importer.import_rows(
            session,
            settings,
            lines,
            consent_given_elsewhere=consent_given_elsewhere,
            send_confirmations=send_confirmations,
        )
        session.commit()
    if report.confirmations:
        asyncio.run(mail.send_confirmations(settings, report.confirmations))
    return report


def export_subscribers(
    settings: Settings, out: TextIO, status: SubscriberStatus | None = None
) -> int:
    """Write the list as spreadsheet-safe CSV; return the number of rows."""
    with open_session(settings) as session:
        return exporter.export_csv(session, out, status)


def export_person(settings: Settings, email: str) -> dict[str, Any]:
    """One person's data as JSON-ready data."""
    with open_session(settings) as session:
        return privacy.person_data(session, email)


def list_subscribers(
    settings: Settings, status: SubscriberStatus | None = None, limit: int | None = None
) -> list[SubscriberRow]:
    """Subscribers, oldest first, optionally of one status."""
    with open_session(settings) as session:
        query = select(Subscriber).where(col(Subscriber.erased_at).is_(None))
        if status is not None:
            query = query.where(col(Subscriber.status) == status)
        query = query.order_by(col(Subscriber.id)).limit(limit)
        return [_row(subscriber) for subscriber in session.exec(query)]


def count_subscribers(settings: Settings) -> dict[SubscriberStatus, int]:
    """How many subscribers are in each status (all statuses, zeros included)."""
    with open_session(settings) as session:
        counts = dict.fromkeys(SubscriberStatus, 0)
        query = (
            select(Subscriber.status, func.count())
            .where(col(Subscriber.erased_at).is_(None))
            .group_by(col(Subscriber.status))
        )
        for status, number in session.exec(query):
            counts[SubscriberStatus(status)] = number
        return counts


def remove_subscriber(settings: Settings, email: str) -> SubscriberRow:
    """Unsubscribe an address on the person's behalf (the consent log is kept)."""
    with open_session(settings) as session:
        subscriber = service.remove(session, email)
        session.commit()
        return _row(subscriber)


def erase_subscriber(settings: Settings, email: str) -> None:
    """Erase a person's data, keeping a hashed suppression entry."""
    with open_session(settings) as session:
        privacy.erase(session, email)
        session.commit()


def _row(subscriber: Subscriber) -> SubscriberRow:
    return SubscriberRow(
        email=subscriber.email,
        name=subscriber.name,
        status=subscriber.status,
        created_at=subscriber.created_at,
        confirmed_at=subscriber.confirmed_at,
        source=subscriber.source,
    )
