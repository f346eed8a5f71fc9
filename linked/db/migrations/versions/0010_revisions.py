"""Revisions: every save of an edition file in the console (who, when, the full text).

Revision ID: 0010_revisions
Revises: 0009_bounces
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_revisions"
down_revision = "0009_bounces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
    )
    op.create_index("ix_revision_file", "revision", ["edition", "key", "id"])


def downgrade() -> None:
    op.drop_index("ix_revision_file", table_name="revision")
    op.drop_table("revision")
