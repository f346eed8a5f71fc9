"""A session on a migrated database, for one command-line call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.settings import Settings


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """A session on a migrated database; the engine is disposed afterwards."""
    engine = make_engine(settings)
    try:
        upgrade(settings, engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
