"""Atomic rate counters and the durable queue of confirmation and welcome mails.

Revision ID: 0006
Revises: 0005_scheduler_jobs

``rate_limit_hit`` (one row per counted action, counted then inserted: two requests
could both see room for one more) gives way to ``rate_counter``, one row per key
changed by one atomic upsert. Counts in flight when upgrading start afresh.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_subscribe_queue"
down_revision = "0005_scheduler_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("rate_limit_hit")
    op.create_table(
        "rate_counter",
        sa.Column("bucket", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rate_counter_window_start", "rate_counter", ["window_start"])
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_notice_subscriber_id", "notice", ["subscriber_id"])
    op.create_index("ix_notice_due_at", "notice", ["due_at"])


def downgrade() -> None:
    op.drop_table("notice")
    op.drop_table("rate_counter")
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rate_limit_hit_lookup", "rate_limit_hit", ["bucket", "key", "at"])
