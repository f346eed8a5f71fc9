"""``linked subscribers export``: the list as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from typing import TextIO

from sqlmodel import Session, col, select

from linked.subscribers.importer import COLUMNS
from linked.subscribers.models import Subscriber, SubscriberStatus

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix a formula-like cell with an apostrophe so a spreadsheet shows it as text."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def export_csv(session: Session, out: TextIO, status: SubscriberStatus | None = None) -> int:
    """Write ``email,name,status,consented_at,source`` rows; return how many."""
    query = (
        select(Subscriber).where(col(Subscriber.erased_at).is_(None)).order_by(col(Subscriber.id))
    )
    if status is not None:
        query = query.where(col(Subscriber.status) == status)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for subscriber in session.exec(query):
        consented = subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else ""
        cells = [
            subscriber.email,
            subscriber.name or "",
            subscriber.status.value,
            consented,
            subscriber.source,
        ]
        writer.writerow([neutralise(cell) for cell in cells])
        count += 1
    return count
