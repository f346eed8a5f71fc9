"""Writes that never fail on a busy SQLite database: one writer, retried when busy."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from linked.db.engine import make_engine
from linked.db.writes import WriteBatcher, write
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers.models import Suppression


def test_many_read_then_write_transactions_from_two_engines_all_commit(
    settings: Settings, engine: Engine
) -> None:
    """Two engines stand for two processes; each transaction reads, writes and lingers.

    Plain sessions fail here: with forty threads queueing on SQLite's lock, some wait
    past the busy timeout and get "database is locked".
    """
    other = make_engine(settings)

    def work(n: int) -> None:
        def add(session: Session) -> None:
            seen = session.exec(select(func.count()).select_from(Suppression)).one()
            session.add(Suppression(address_hash=f"{n:064x}", reason=f"seen {seen}"))
            session.flush()
            time.sleep(0.025)  # a slow transaction holds the write lock

        write(engine if n % 2 else other, add)

    try:
        with ThreadPoolExecutor(40) as pool:
            list(pool.map(work, range(240)))
    finally:
        other.dispose()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Suppression)).one() == 240


def test_the_batcher_answers_each_work_and_one_bad_work_fails_alone(engine: Engine) -> None:
    batcher = WriteBatcher(engine, max_batch=50)

    def add(n: int) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            if n == 3:
                raise LinkedError("no")  # a domain answer, before changing anything
            if n == 5:  # a broken statement: the batch is undone and each work runs alone
                session.add(Suppression(address_hash="0" * 64, reason="dup"))
                session.flush()
            session.add(Suppression(address_hash=f"{n:064x}", reason="batched"))
            return n

        return work

    try:
        with Session(engine) as session:
            session.add(Suppression(address_hash="0" * 64, reason="there first"))
            session.commit()
        futures = {n: batcher.submit(add(n)) for n in range(1, 9)}
        for n, future in futures.items():
            if n in (3, 5):
                assert future.exception(timeout=30) is not None
            else:
                assert future.result(timeout=30) == n
    finally:
        batcher.close()
    with Session(engine) as session:
        reasons = session.exec(select(Suppression.reason)).all()
    assert sorted(reasons) == ["batched"] * 6 + ["there first"]
