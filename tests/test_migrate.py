"""Models and hand-written migrations must describe the same schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, MetaData, inspect
from sqlmodel import SQLModel

import linked.accounts.models
import linked.authoring.models

# Registers every table in SQLModel.metadata, whichever tests ran before.
import linked.delivery.models
import linked.scheduler.models
import linked.subscribers.models  # noqa: F401
from linked.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    script_head,
    upgrade,
)
from linked.scheduler.runtime import JOBS_TABLE, Scheduler
from linked.settings import Settings


def test_upgrade_reaches_head_and_is_repeatable(settings: Settings, engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert upgrade(settings, engine) == head_revision()


def test_first_revision_name_is_stable(engine: Engine) -> None:
    # Other migrations build on this id; renaming it would strand existing databases.
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads()
    assert "subscriber" in inspect(engine).get_table_names()


def _expected_schema(engine: Engine) -> MetaData:
    """Our models plus APScheduler's job table, as its job store defines it."""
    expected = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(expected)
    SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE).jobs_t.to_metadata(expected)
    return expected


def _search_index(name: str | None) -> bool:
    return str(name).endswith("_trgm") or str(name).startswith("subscriber_search")


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        opts = {
            "compare_type": True,
            # The search indexes of migration 0008 (PostgreSQL trigram indexes, SQLite's
            # FTS5 table) have no model counterpart.
            "include_name": lambda name, *_: not _search_index(name),
        }
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, _expected_schema(engine))
    assert differences == []


def test_the_scheduler_finds_its_job_table_made_by_the_migration(
    settings: Settings, engine: Engine
) -> None:
    assert JOBS_TABLE in inspect(engine).get_table_names()
    scheduler = Scheduler(settings, db=engine)
    scheduler.start()
    scheduler.shutdown()
    assert upgrade(settings, engine) == head_revision()


def test_a_job_table_apscheduler_made_before_0005_is_kept(
    settings: Settings, engine: Engine
) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004_workers")
    assert JOBS_TABLE not in inspect(engine).get_table_names()
    SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE).jobs_t.create(engine)
    assert upgrade(settings, engine) == head_revision()
    assert JOBS_TABLE in inspect(engine).get_table_names()


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert script_head() == head_revision()


def test_a_database_at_head_is_not_handed_to_alembic(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Alembic asked to upgrade a database already at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    assert upgrade(settings, engine) == head_revision()
    # One behind head: Alembic runs.
    monkeypatch.undo()
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert current_revision(engine) != head_revision()
    assert upgrade(settings, engine) == head_revision()
