"""Apply the Alembic migrations in ``linked/db/migrations`` — no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from linked.db.engine import make_engine
from linked.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock held while migrating (any fixed number of our own).
MIGRATION_LOCK = 0x4C696E6B  # "Link"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(settings: Settings, engine: Engine | None = None, revision: str = "head") -> str | None:
    """Bring the database up to ``revision``; return the revision it is at afterwards."""
    engine = engine or make_engine(settings)
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Workers starting together on a new database migrate one after another.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        # env.py picks this connection up instead of opening its own.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in the migrations folder."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
