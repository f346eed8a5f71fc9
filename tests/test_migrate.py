"""Models and hand-written migrations must describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

# Registers every table in SQLModel.metadata, whichever tests ran before.
import linked.delivery.models
import linked.scheduler.models
import linked.subscribers.models  # noqa: F401
from linked.db.migrate import current_revision, head_revision, upgrade
from linked.settings import Settings


def test_upgrade_reaches_head_and_is_repeatable(settings: Settings, engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert upgrade(settings, engine) == head_revision()


def test_first_revision_name_is_stable(engine: Engine) -> None:
    # Other migrations build on this id; renaming it would strand existing databases.
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads()
    assert "subscriber" in inspect(engine).get_table_names()


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
