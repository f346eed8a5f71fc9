"""Many workers: the shared rate-limit buckets, and the composed edition kept with its send.

Revision ID: 0004_workers
Revises: 0003_schedule

``rate_bucket`` holds one row per limit (``second``, ``hour``): the time, on the
database's clock, from which the bucket is empty (see ``linked.delivery.ratelimit``).
``send.content`` keeps the edition as composed when the send was planned, so a
``linked worker`` on another machine delivers exactly that without the edition files.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_workers"
down_revision = "0003_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bucket = op.create_table(
        "rate_bucket",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("tat", sa.Float(), nullable=False),
    )
    op.bulk_insert(bucket, [{"name": "second", "tat": 0.0}, {"name": "hour", "tat": 0.0}])
    with op.batch_alter_table("send") as batch:
        batch.add_column(sa.Column("content", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send") as batch:
        batch.drop_column("content")
    op.drop_table("rate_bucket")
