"""APScheduler's job table, made by a migration like every other table.

Revision ID: 0005_scheduler_jobs
Revises: 0004_workers

The definition is APScheduler 3's ``SQLAlchemyJobStore`` table, so the job store
finds it ready. Databases where a scheduler already created it keep theirs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_scheduler_jobs"
down_revision = "0004_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("apscheduler_jobs"):
        return
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
