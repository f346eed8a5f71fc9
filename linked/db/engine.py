"""Create the SQLAlchemy engine the settings ask for (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from linked.errors import LinkedError
from linked.settings import Settings

# Seconds a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """An engine for ``settings.database``; SQLite gets WAL, foreign keys and a busy timeout."""
    url_text = settings.database
    try:
        url = make_url(url_text)
    except ArgumentError as exc:
        raise LinkedError(f"LINKED_DATABASE_URL is not a database URL: {url_text!r}") from exc
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url_text, url.database, **kwargs)
    if url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":
            # psycopg 3 is the driver we ship; a bare postgresql:// would ask for psycopg2.
            url = url.set(drivername="postgresql+psycopg")
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise LinkedError(
        f"unsupported database {url.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://"
    )


def _sqlite_engine(url_text: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url_text,
        # Web handlers run database work in a thread pool; the pool hands one connection
        # to one thread at a time, so sharing across threads is safe.
        connect_args={"check_same_thread": False},
        **kwargs,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (the web app) work while a writer (a send, an import) commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable in WAL mode except for the last commits on power loss.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
