"""The ``revision`` table: every save of an edition file, with who, when and the full text.

Migration ``0010_revisions`` is hand-written to match; ``tests/test_migrate.py`` compares.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Revision(SQLModel, table=True):
    """One saved version of one file. ``key`` names the file across reorders and drafts
    (its name without number prefix or ``_``: ``wood-report.md``); ``name`` is the file's
    name when saved. ``text`` None records a deletion."""

    __tablename__ = "revision"
    __table_args__ = (sa.Index("ix_revision_file", "edition", "key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    account_id: int | None = Field(default=None)
    actor: str = Field(sa_type=sa.String(320))
    edition: str = Field(sa_type=sa.String(200))
    key: str = Field(sa_type=sa.String(200))
    name: str = Field(sa_type=sa.String(200))
    action: str = Field(sa_type=sa.String(20))
    version: str = Field(default="", sa_type=sa.String(64))
    text: str | None = Field(default=None, sa_type=sa.Text)
