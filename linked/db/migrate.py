"""Apply the Alembic migrations in ``linked/db/migrations`` — no alembic.ini needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from linked.db.engine import make_engine
from linked.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock held while migrating (any fixed number of our own).
MIGRATION_LOCK = 0x4C696E6B  # "Link"


#: ``revision = "0009_bounces"`` / ``down_revision = "0008_accounts"`` in a migration file.
_REVISION_LINE = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*"([^"]+)"', re.MULTILINE)


def script_head() -> str | None:
    """The newest revision, read from the migration files' text without importing Alembic.

    Every command that touches the database upgrades it first; when the database is already
    there, this spares it Alembic's import and script loading (a fifth of a second). None when
    the files do not show exactly one head: then Alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m[1], m[2]) for m in _REVISION_LINE.finditer(path.read_text("utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if "down_revision" in found:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stamped(engine: Engine) -> list[str]:
    """The revisions recorded in the database (none before the first migration)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return [str(row[0]) for row in rows]
    except DBAPIError:
        return []


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(settings: Settings, engine: Engine | None = None, revision: str = "head") -> str | None:
    """Bring the database up to ``revision``; return the revision it is at afterwards."""
    engine = engine or make_engine(settings)
    if revision == "head" and (head := script_head()) is not None and _stamped(engine) == [head]:
        return head
    from alembic import command

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
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
