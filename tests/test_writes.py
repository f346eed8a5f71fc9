"""Writes that never fail on a busy SQLite database: one writer, retried when busy."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from linked.db.engine import make_engine
from linked.db.writes import write
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
