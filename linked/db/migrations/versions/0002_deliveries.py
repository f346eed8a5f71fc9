"""Sends and their per-recipient delivery rows.

Revision ID: 0002_deliveries
Revises: 0001_subscribers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_deliveries"
down_revision = "0001_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(998), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_send_edition", "send", ["edition"], unique=True)
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.Column("last_reply", sa.String(500), nullable=True),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("edition", "subscriber_id", name="uq_delivery_edition_subscriber"),
    )
    op.create_index("ix_delivery_subscriber_id", "delivery", ["subscriber_id"])
    op.create_index("ix_delivery_claim", "delivery", ["edition", "state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_claim", table_name="delivery")
    op.drop_index("ix_delivery_subscriber_id", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_send_edition", table_name="send")
    op.drop_table("send")
