"""The ``schedule_event`` table: one row per thing that happened to a scheduled send.

APScheduler's job store only holds jobs still to run; once a job has fired, been
missed or been cancelled it is gone. These rows keep *why*, so ``linked schedule
list`` can show a blocked or missed send instead of silently forgetting it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class EventKind(StrEnum):
    """What happened. ``blocked`` = the check failed at send time; ``missed`` = beyond grace."""

    scheduled = "scheduled"
    cancelled = "cancelled"
    started = "started"
    sent = "sent"
    blocked = "blocked"
    missed = "missed"
    failed = "failed"


class ScheduleEvent(SQLModel, table=True):
    """One event of one edition's schedule; the newest row per edition is its state."""

    __tablename__ = "schedule_event"

    id: int | None = Field(default=None, primary_key=True)
    edition: str = Field(sa_type=sa.String(200), index=True)
    kind: str = Field(sa_type=sa.String(20))
    run_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    detail: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
