"""Console accounts, their sessions, and the audit log; indexes for the console's figures.

Revision ID: 0008_accounts
Revises: 0005_scheduler_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_accounts"
down_revision = "0007_send_pacing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column(
            "role",
            sa.Enum("editor", "sender", "admin", name="account_role", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_account_email_key", "account", ["email_key"], unique=True)

    op.create_table(
        "account_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
    )
    op.create_index("ix_account_session_account_id", "account_session", ["account_id"])

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_account_id", "audit_event", ["account_id"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])

    op.create_index("ix_subscriber_status_erased", "subscriber", ["status", "erased_at"])
    op.create_index("ix_subscriber_created_at", "subscriber", ["created_at"])
    op.create_index("ix_consent_event_at", "consent_event", ["at"])
    _trigram_indexes()
    _sqlite_search()


#: PostgreSQL only: trigram indexes let the console find part of an address or name without
#: reading every row. Not in the models (SQLite has no such index); the migration test
#: leaves out names ending in ``_trgm``. Without the right to create pg_trgm, search still
#: works, by reading the table.
TRIGRAM_INDEXES = {"ix_subscriber_email_trgm": "email_key", "ix_subscriber_name_trgm": "name"}


def _trigram_indexes() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return
    savepoint.commit()
    for name, column in TRIGRAM_INDEXES.items():
        bind.execute(
            sa.text(f"CREATE INDEX {name} ON subscriber USING gin ({column} gin_trgm_ops)")
        )


#: SQLite only: an FTS5 trigram index of subscribers' addresses and names, kept in step by
#: triggers, for the same reason. A later migration that rebuilds ``subscriber`` in batch
#: mode must recreate the triggers (call ``_sqlite_search`` again).
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE subscriber_search USING fts5(email_key, name, content='subscriber', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER subscriber_search_insert AFTER INSERT ON subscriber BEGIN "
    "INSERT INTO subscriber_search(rowid, email_key, name) VALUES (new.id, new.email_key, new.name); "
    "END",
    "CREATE TRIGGER subscriber_search_delete AFTER DELETE ON subscriber BEGIN "
    "INSERT INTO subscriber_search(subscriber_search, rowid, email_key, name) "
    "VALUES ('delete', old.id, old.email_key, old.name); END",
    "CREATE TRIGGER subscriber_search_update AFTER UPDATE OF email_key, name ON subscriber BEGIN "
    "INSERT INTO subscriber_search(subscriber_search, rowid, email_key, name) "
    "VALUES ('delete', old.id, old.email_key, old.name); "
    "INSERT INTO subscriber_search(rowid, email_key, name) VALUES (new.id, new.email_key, new.name); "
    "END",
    "INSERT INTO subscriber_search(subscriber_search) VALUES ('rebuild')",
]


def _sqlite_search() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    savepoint = bind.begin_nested()
    try:
        for statement in SQLITE_SEARCH:
            bind.execute(sa.text(statement))
    except sa.exc.DBAPIError:  # an SQLite without FTS5's trigram tokenizer (before 3.34)
        savepoint.rollback()
        return
    savepoint.commit()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS subscriber_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS subscriber_search")
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_consent_event_at", table_name="consent_event")
    op.drop_index("ix_subscriber_created_at", table_name="subscriber")
    op.drop_index("ix_subscriber_status_erased", table_name="subscriber")
    op.drop_table("audit_event")
    op.drop_table("account_session")
    op.drop_table("account")
