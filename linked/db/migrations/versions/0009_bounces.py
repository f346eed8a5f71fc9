"""Bounces from the return mailbox: the bounce history and the fetcher's lease.

Revision ID: 0009_bounces
Revises: 0005_scheduler_jobs

``bounce_event`` is one row per bounce or complaint (the subscriber's history; its
unique ``key`` makes reading a mailbox message twice count once). ``lease`` holds
named leases, so one ``linked bounces fetch`` runs at a time across workers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_bounces"
down_revision = "0008_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bounce_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=True, unique=True),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("edition", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("diagnostic", sa.String(500), nullable=True),
    )
    op.create_index("ix_bounce_event_window", "bounce_event", ["subscriber_id", "kind", "at"])
    op.create_table(
        "lease",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lease")
    op.drop_index("ix_bounce_event_window", table_name="bounce_event")
    op.drop_table("bounce_event")
