"""What happened to scheduled sends: scheduled, started, blocked by the check, missed, cancelled.

Revision ID: 0003_schedule
Revises: 0002_deliveries

APScheduler keeps the pending jobs themselves in its own ``apscheduler_jobs`` table,
made by ``0005_scheduler_jobs``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_schedule"
down_revision = "0002_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_schedule_event_edition", "schedule_event", ["edition"])


def downgrade() -> None:
    op.drop_index("ix_schedule_event_edition", table_name="schedule_event")
    op.drop_table("schedule_event")
