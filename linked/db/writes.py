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

import queue
import random
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from linked.errors import LinkedError

T = TypeVar("T")

#: How long a write keeps trying while the database is busy before giving up.
BUSY_DEADLINE_SECONDS = 30.0
#: Threads running sign-up batches on PostgreSQL (each waits on the network most of the time).
POSTGRES_WRITERS = 8
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


class WriteBatcher:
    """Group commit: small writes from many requests, run one after another in one transaction.

    Under a rush each request's transaction is short, and what costs is everything around
    it (a session, the commit, handing the writer's turn from thread to thread).
    The batcher runs queued works in one thread, as many as are waiting (up to
    ``max_batch``) in one :func:`write`, and answers each request with its own result.

    A work may raise a :class:`~linked.errors.LinkedError` (a domain answer such as
    "too many requests") only before it has changed anything; its request gets the
    error and the batch goes on. Any other error undoes the batch, and every work in
    it runs again in a transaction of its own, so one bad request never decides
    another's fate.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 64, threads: int | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch
        # SQLite has one writer anyway; PostgreSQL overlaps the round trips of a few.
        self.threads = threads or (1 if engine.dialect.name == "sqlite" else POSTGRES_WRITERS)
        self._queue: queue.SimpleQueue[tuple[Callable[[Session], Any], Future[Any]] | None]
        self._queue = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue ``work``; the future has its result (or its exception) once committed."""
        future: Future[T] = Future()
        with self._start_lock:
            if not self._workers:
                self._workers = [
                    threading.Thread(target=self._run, name=f"linked-writes-{n}", daemon=True)
                    for n in range(self.threads)
                ]
                for worker in self._workers:
                    worker.start()
        self._queue.put((work, future))
        return future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._start_lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            worker.join(timeout=BUSY_DEADLINE_SECONDS)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._run_batch(batch)
                    return
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, batch: list[tuple[Callable[[Session], Any], Future[Any]]]) -> None:
        def all_of_them(session: Session) -> list[tuple[bool, Any]]:
            outcomes: list[tuple[bool, Any]] = []
            for work, _ in batch:
                try:
                    outcomes.append((True, work(session)))
                except LinkedError as exc:
                    outcomes.append((False, exc))
            return outcomes

        try:
            outcomes = write(self.engine, all_of_them)
        except Exception:
            for work, future in batch:  # each on its own: one bad request fails alone
                try:
                    future.set_result(write(self.engine, work))
                except Exception as exc:
                    future.set_exception(exc)
            return
        for (ok, value), (_, future) in zip(outcomes, batch, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
