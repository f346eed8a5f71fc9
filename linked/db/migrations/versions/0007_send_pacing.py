"""The pace a send runs at: the connections and rate in use, and why.

Revision ID: 0007_send_pacing
Revises: 0005_scheduler_jobs

``send.pacing`` is written by the delivery engine while it runs (for example
"3 of 10 connections: the relay refused a connection while 3 worked (421 4.7.0 …)")
and shown by ``linked status``; empty while nothing limits the send.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_send_pacing"
down_revision = "0006_subscribe_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send") as batch:
        batch.add_column(sa.Column("pacing", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send") as batch:
        batch.drop_column("pacing")
