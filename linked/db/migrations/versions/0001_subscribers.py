"""Subscribers, consent events, suppressions and rate-limit hits.

Revision ID: 0001_subscribers
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_subscribers"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "confirmed", "unsubscribed", "bounced", "complained")


def status_type() -> sa.Enum:
    return sa.Enum(*STATUSES, name="subscriber_status", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("status", status_type(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmations_sent", sa.Integer(), nullable=False),
        sa.Column("soft_bounces", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_subscriber_email", "subscriber", ["email"], unique=True)
    op.create_index("ix_subscriber_email_key", "subscriber", ["email_key"], unique=True)

    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_status", status_type(), nullable=True),
        sa.Column("to_status", status_type(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_consent_event_subscriber_id", "consent_event", ["subscriber_id"])

    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_suppression_address_hash", "suppression", ["address_hash"], unique=True)

    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rate_limit_hit_lookup", "rate_limit_hit", ["bucket", "key", "at"])


def downgrade() -> None:
    op.drop_table("rate_limit_hit")
    op.drop_table("suppression")
    op.drop_table("consent_event")
    op.drop_table("subscriber")
