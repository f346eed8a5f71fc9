"""One helper for a short write transaction that does not fail because the database is busy.

SQLite has one writer at a time. In WAL mode a transaction that read first and then
writes fails at once with "database is locked" when another connection committed in
between, whatever the busy timeout. So, for SQLite, writes in this process take
turns behind one lock per engine (one writer, no lock fights among our own threads),
and a write that still meets a busy database (another process, the delivery worker)
is rolled back and run again after a short pause. PostgreSQL runs writes
concurrently; a deadlock or serialization failure is run again the same way.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

T = TypeVar("T")

#: How long a write keeps trying while the database is busy before giving up.
BUSY_DEADLINE_SECONDS = 30.0
#: PostgreSQL's "try again" errors: serialization failure, deadlock detected.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})

_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """The process's one-writer lock for a SQLite engine; None for PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return None
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
        return lock


def is_busy(exc: DBAPIError) -> bool:
    """Whether the error means "busy, try again" rather than a real failure."""
    if isinstance(exc, OperationalError) and exc.orig is not None:
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text:
            return True
    return getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def write(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one committed transaction; call from a worker thread.

    Run again when the database was busy (until :data:`BUSY_DEADLINE_SECONDS`) and
    once after a unique-key race (two requests adding the same new address at once:
    the second attempt sees the row the first one committed). ``work`` must only
    touch the database, since it may run more than once.
    """
    lock = _writer_lock(engine)
    deadline = time.monotonic() + BUSY_DEADLINE_SECONDS
    pause, unique_races = 0.005, 0
    while True:
        try:
            if lock is None:
                return _once(engine, work)
            with lock:
                return _once(engine, work)
        except IntegrityError:
            unique_races += 1
            if unique_races > 1:
                raise
        except DBAPIError as exc:
            if not is_busy(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.5)


def _once(engine: Engine, work: Callable[[Session], T]) -> T:
    with Session(engine) as session:
        result = work(session)
        session.commit()
        return result
