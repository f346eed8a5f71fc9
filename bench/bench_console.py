"""The console with 100,000 subscribers: subscriber search and the dashboard, per request.

Fills a database with ``--subscribers`` people (a mix of states, each with its consent
events, sign-ups spread over a year), signs in as an administrator and times whole
requests in process (httpx ``ASGITransport``): session lookup, the query, the page.
Searches: a rare part of an address, a common one, part of a name, a state filter,
and the next page of a common search.

Run from the project root:
  .venv/bin/python bench/bench_console.py [--subscribers 100000] [--runs 30]
  .venv/bin/python bench/bench_console.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
(an existing PostgreSQL database that is emptied first). Targets: search median < 50 ms,
dashboard median < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linked.accounts import service
from linked.accounts.audit import Actor
from linked.accounts.models import Role
from linked.db.migrate import upgrade
from linked.settings import load_settings
from linked.subscribers.models import ConsentEvent, Subscriber
from linked.web.app import create_app

PASSWORD = "benchmark passphrase 1"
STATES = ["confirmed"] * 7 + ["pending", "unsubscribed", "bounced"]
FIRST = ["Alice", "Bob", "Carol", "Dev", "Eve", "Fatima", "Gita", "Hamid", "Ivy", "Jon"]


def fill(engine: sa.Engine, count: int) -> None:
    """Insert ``count`` subscribers and their consent events in batches (core inserts)."""
    now = datetime.now(UTC)
    sub, event = Subscriber.__table__, ConsentEvent.__table__  # type: ignore[attr-defined]
    batch = 10_000
    with engine.begin() as conn:
        for start in range(0, count, batch):
            rows, events = [], []
            for i in range(start, min(start + batch, count)):
                state = STATES[i % len(STATES)]
                created = now - timedelta(minutes=(count - i) * 5)
                rows.append(
                    {
                        "id": i + 1,
                        "email": f"person{i}@{'example.org' if i % 3 else 'council.gov.uk'}",
                        "email_key": f"person{i}@{'example.org' if i % 3 else 'council.gov.uk'}",
                        "name": f"{FIRST[i % 10]} Surname{i}",
                        "status": state,
                        "created_at": created,
                        "updated_at": created,
                        "confirmed_at": created if state != "pending" else None,
                        "source": "import",
                        "confirmations_sent": 0,
                        "soft_bounces": 0,
                    }
                )
                events.append(
                    {
                        "subscriber_id": i + 1,
                        "from_status": None,
                        "to_status": "pending",
                        "at": created,
                        "source": "import",
                    }
                )
                if state != "pending":
                    events.append(
                        {
                            "subscriber_id": i + 1,
                            "from_status": "pending",
                            "to_status": "confirmed",
                            "at": created,
                            "source": "web",
                        }
                    )
                if state in ("unsubscribed", "bounced"):
                    events.append(
                        {
                            "subscriber_id": i + 1,
                            "from_status": "confirmed",
                            "to_status": state,
                            "at": created + timedelta(days=1),
                            "source": "web",
                        }
                    )
            conn.execute(sub.insert(), rows)
            conn.execute(event.insert(), events)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('subscriber_id_seq', :n)"), {"n": count})
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))


async def timed(
    client: httpx.AsyncClient, runs: int, method: str, path: str, **kw: Any
) -> list[float]:
    """Milliseconds of ``runs`` whole requests, after 3 warm-up ones; each must answer 200."""
    timings = []
    for n in range(runs + 3):
        start = time.perf_counter()
        response = await client.request(method, path, **kw)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        if n >= 3:  # warm-up
            timings.append(elapsed)
    return timings


def report(name: str, timings: list[float], width: int = 45) -> None:
    timings = sorted(timings)
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    print(f"{name:<{width}} median {statistics.median(timings):7.1f} ms  p95 {p95:7.1f} ms")


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    """Sign in to the console as ``email`` (password :data:`PASSWORD`)."""
    page = await client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    signed = await client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf": token.group(1)}
    )
    assert signed.status_code in (200, 303), signed.text[:300]


async def run(args: Any) -> None:
    with tempfile.TemporaryDirectory() as root:
        overrides: dict[str, Any] = {
            "secret_key": "bench",
            "from_address": "Linked <b@example.org>",
        }
        if args.database_url:
            overrides["database_url"] = args.database_url
        settings = load_settings(root, **overrides)
        app = create_app(settings)
        engine = app.state.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(settings, engine)
        started = time.perf_counter()
        fill(engine, args.subscribers)
        took = time.perf_counter() - started
        print(f"filled {args.subscribers:,} subscribers in {took:.1f} s ({engine.dialect.name})")
        with Session(engine) as session:
            service.add(session, Actor.cli(), "bench@example.org", Role.admin, password=PASSWORD)
            session.commit()
        transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await sign_in(client, "bench@example.org")
            common = await client.get("/admin/subscribers/?q=example.org")
            after = re.search(r"after=(\d+)", common.text)
            assert after
            cases = {
                "search: rare address part (person77777)": "/admin/subscribers/?q=person77777",
                "search: common (example.org)": "/admin/subscribers/?q=example.org",
                "search: part of a name (surname4242)": "/admin/subscribers/?q=surname4242",
                "search: no match (nobody-here)": "/admin/subscribers/?q=nobody-here",
                "filter: state pending": "/admin/subscribers/?status=pending",
                "next page of common": f"/admin/subscribers/?q=example.org&after={after.group(1)}",
                "list, no search": "/admin/subscribers/",
                "dashboard": "/admin/",
            }
            for name, path in cases.items():
                report(name, await timed(client, args.runs, "GET", path))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    SQLModel.metadata  # noqa: B018 - models registered by the imports above
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
