"""Rate limits hold under concurrency: fifty simultaneous requests get exactly the limit.

Run on PostgreSQL too (``LINKED_TEST_DATABASE_URL``), where counting then inserting
used to let 15-20 of 50 through a limit of 10.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from linked.db.writes import write
from linked.settings import Settings
from linked.subscribers import ratelimit
from linked.subscribers.models import Notice, Subscriber, utcnow
from linked.web.app import create_app
from tests.fixtures.servers import free_port, serve

PARALLEL = 50


def _fire(url: str, bodies: list[tuple[dict[str, str], dict[str, str]]]) -> Counter[int]:
    """POST every (form, headers) at once, from as many threads; count the status codes."""
    start = threading.Barrier(len(bodies))

    def post(item: tuple[dict[str, str], dict[str, str]]) -> int:
        data, headers = item
        with httpx.Client(timeout=60) as client:
            start.wait()
            return client.post(f"{url}/subscribe", data=data, headers=headers).status_code

    with ThreadPoolExecutor(len(bodies)) as pool:
        return Counter(pool.map(post, bodies))


def test_fifty_requests_from_one_address_get_exactly_the_per_ip_limit(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(subscribe_limit_per_ip=10)
    with serve(create_app(settings), free_port()) as url:
        codes = _fire(url, [({"email": f"p{n}@example.org"}, {}) for n in range(PARALLEL)])
    assert codes == {200: 10, 429: PARALLEL - 10}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Subscriber)).one() == 10


def test_fifty_requests_for_one_address_get_exactly_the_mail_limit(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    # Fifty people behind a trusted proxy, all typing the same address.
    settings = make_settings(
        confirm_mail_limit=3, subscribe_limit_per_ip=1000, trusted_proxies=("127.0.0.1",)
    )
    bodies = [
        ({"email": "victim@example.org"}, {"X-Forwarded-For": f"198.51.100.{n + 1}"})
        for n in range(PARALLEL)
    ]
    with serve(create_app(settings), free_port()) as url:
        codes = _fire(url, bodies)
        deadline = time.monotonic() + 20
        while len(list(settings.outbox_dir.glob("*.eml"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a fourth mail, if there were one, would be out by now
    assert codes == {200: PARALLEL}
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 3
    with Session(engine) as session:
        [person] = session.exec(select(Subscriber)).all()
        assert person.confirmations_sent == 3
        assert session.exec(select(func.count()).select_from(Notice)).one() == 0


def test_allow_counts_exactly_the_limit_across_threads(engine: Engine) -> None:
    window = timedelta(hours=1)

    def one(_: int) -> bool:
        return write(engine, lambda s: ratelimit.allow(s, "test", "k", 7, window))

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(40)))
    assert results.count(True) == 7


def test_a_new_window_starts_after_the_old_one_and_old_counters_are_pruned(
    engine: Engine,
) -> None:
    now, window = utcnow(), timedelta(hours=1)
    with Session(engine) as session:
        assert [ratelimit.allow(session, "b", "k", 2, window, now) for _ in range(3)] == [
            True,
            True,
            False,
        ]
        later = now + window + timedelta(seconds=1)
        assert ratelimit.allow(session, "b", "k", 2, window, later)
        assert ratelimit.prune(session, timedelta(minutes=1), later + timedelta(minutes=2)) == 1
        session.commit()
