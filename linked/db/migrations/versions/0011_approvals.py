"""Four eyes: approvals of an edition's exact files, and the files a send was made from.

Revision ID: 0011_approvals
Revises: 0010_revisions

``approval`` is one row per approval (append-only): the edition, the hash of its
files then, who approved and who had made the last change. An approval counts only
while the edition's files still have that hash. ``send.edition_hash`` is the hash of
the files a send was composed from, so the archive can say an edition was corrected
after it was sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_approvals"
down_revision = "0010_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column("edition_hash", sa.String(64), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("approver", sa.String(320), nullable=False),
        sa.Column("editor", sa.String(320), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_approval_edition", "approval", ["edition"])
    with op.batch_alter_table("send") as batch:
        batch.add_column(sa.Column("edition_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send") as batch:
        batch.drop_column("edition_hash")
    op.drop_index("ix_approval_edition", table_name="approval")
    op.drop_table("approval")
