"""Console accounts, their sessions, and the audit log.

Revision ID: 0008_accounts
Revises: 0005_scheduler_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_accounts"
down_revision = "0005_scheduler_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column(
            "role",
            sa.Enum("editor", "sender", "admin", name="account_role", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_account_email_key", "account", ["email_key"], unique=True)

    op.create_table(
        "account_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
    )
    op.create_index("ix_account_session_account_id", "account_session", ["account_id"])

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_account_id", "audit_event", ["account_id"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_table("account_session")
    op.drop_table("account")
