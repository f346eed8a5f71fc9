"""Tables for console accounts, their sign-in sessions, and the append-only audit log.

Times are aware UTC, as in the subscribers tables. Migration ``0008_accounts`` is
hand-written to match; ``tests/test_migrate.py`` compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from linked.accounts.roles import Role as Role  # re-exported: the tables use it


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


ROLE_TYPE = sa.Enum(Role, name="account_role", native_enum=False, length=10, validate_strings=True)


class Account(SQLModel, table=True):
    """A person who signs in to the console. ``email_key`` is the case-folded address."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=sa.String(320))
    email_key: str = Field(sa_type=sa.String(320), unique=True, index=True)
    name: str | None = Field(default=None, sa_type=sa.String(200))
    role: Role = Field(sa_type=ROLE_TYPE)
    #: Argon2id hash; None until the person has set a password through their link.
    password_hash: str | None = Field(default=None, sa_type=sa.String(200))
    password_changed_at: datetime | None = None
    #: Base32 TOTP secret once the person has turned on a second factor.
    totp_secret: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None
    last_sign_in_at: datetime | None = None


class AccountSession(SQLModel, table=True):
    """A signed-in browser. ``id`` is a SHA-256 of the cookie's random value, never the value."""

    __tablename__ = "account_session"

    id: str = Field(primary_key=True, sa_type=sa.String(64))
    account_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    #: The CSRF token bound to this session (random; sent back in forms and htmx headers).
    csrf: str = Field(sa_type=sa.String(64))
    created_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime = Field(default_factory=utcnow)
    ip: str | None = Field(default=None, sa_type=sa.String(45))


class AuditEvent(SQLModel, table=True):
    """Who did what and when. Rows are only ever added (nothing updates or deletes them).

    ``actor`` is a snapshot (an account's address, ``cli:<user>`` or ``system``), so the log
    still reads correctly after an account changes. Subscribers are named by id only, so
    erasing a person's data leaves nothing personal here.
    """

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    account_id: int | None = Field(default=None, index=True)
    actor: str = Field(sa_type=sa.String(320))
    action: str = Field(sa_type=sa.String(50), index=True)
    target: str | None = Field(default=None, sa_type=sa.String(200))
    detail: str | None = Field(default=None, sa_type=sa.String(500))
    ip: str | None = Field(default=None, sa_type=sa.String(45))
