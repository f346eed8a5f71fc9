from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from linked.db.engine import make_engine
from linked.errors import LinkedError
from linked.settings import load_settings


def test_default_database_is_sqlite_under_subscribers(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    finally:
        engine.dispose()
    assert (tmp_path / "subscribers" / "linked.db").exists()


def test_test_engine_answers(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url"])
def test_unsupported_database_is_a_clear_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(LinkedError):
        make_engine(load_settings(tmp_path, database_url=url))
