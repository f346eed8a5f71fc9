"""A sign-up rush against a real ``linked serve``: wrk at 20 and 100 connections.

For each database (SQLite, the embedded default, and PostgreSQL) this starts
``linked serve`` as its own process on a fresh project, then drives it over HTTP
with Debian's ``wrk`` (C, epoll): first ``GET /subscribe`` (the form, no database)
as the baseline, then ``POST /subscribe`` with a new address for every request (a
small Lua script), at each connection count. As in a real rush the sign-ups come from
many addresses: the server runs with ``--proxy-headers`` and each POST carries its own
``X-Forwarded-For`` (the per-IP limit stays at its default). It reports req/s, median and p99
latency, non-2xx answers and socket errors (connect/read/write/timeout = dropped
connections). Afterwards it stops the server gracefully and checks that every
2xx has its subscriber row and consent event, that no notice is left queued, and
that every confirmation mail is in ``outbox/``.

Run from the project root (PostgreSQL at the URL given, user with CREATE DATABASE):

    .venv/bin/python bench/bench_subscribe_load.py --duration 30
    .venv/bin/python bench/bench_subscribe_load.py --duration 10 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

LUA = r"""
local run = "x"
local counter = 0
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "x"
  post = args[2] == "post"
end

function request()
  if not post then
    return wrk.format("GET", "/subscribe")
  end
  counter = counter + 1
  local body = "email=load-" .. run .. "-" .. id .. "-" .. counter .. "%40example.org"
  -- Each sign-up from its own address, as a reverse proxy on this host reports it.
  local forwarded = string.format("10.%d.%d.%d", id % 256, math.floor(counter / 256) % 256,
    counter % 256)
  return wrk.format("POST", "/subscribe",
    {["Content-Type"] = "application/x-www-form-urlencoded",
     ["X-Forwarded-For"] = forwarded}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "median_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect, e.read,
    e.write, e.timeout))
end
"""


@dataclass
class Result:
    database: str
    what: str
    connections: int
    requests: int
    seconds: float
    median_ms: float
    p99_ms: float
    max_ms: float
    status: int
    connect: int
    read: int
    write: int
    timeout: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def dropped(self) -> int:
        return self.connect + self.read + self.write + self.timeout

    def row(self) -> str:
        return (
            f"| {self.database} | {self.what} | {self.connections} | {self.rate:.0f} | "
            f"{self.median_ms:.1f} ms | {self.p99_ms:.1f} ms | {self.status} | {self.dropped} |"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(base: str, script: Path, *, post: bool, connections: int, seconds: int) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"{base}/subscribe",
        "--",
        run,
        "post" if post else "get",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def start_server(root: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "linked", "serve", "--port", str(port), "--proxy-headers"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit((root / "serve.log").read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("linked serve did not start")
        time.sleep(0.2)


def check_afterwards(database_url: str, outbox: Path, accepted: int, in_flight: int) -> str:
    """Every 2xx has its row, event and mail; requests cut off when wrk stopped may add a few."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            subscribers = connection.execute(text("SELECT count(*) FROM subscriber")).scalar_one()
            events = connection.execute(text("SELECT count(*) FROM consent_event")).scalar_one()
            mails = connection.execute(
                text("SELECT coalesce(sum(confirmations_sent), 0) FROM subscriber")
            ).scalar_one()
            queued = connection.execute(text("SELECT count(*) FROM notice")).scalar_one()
    finally:
        engine.dispose()
    files = len(list(outbox.glob("*.eml")))
    complete = subscribers == events == mails == files and queued == 0
    ok = complete and accepted <= subscribers <= accepted + in_flight
    return (
        f"{'OK' if ok else 'MISMATCH'}: 2xx answers {accepted} (+ up to {in_flight} in flight "
        f"when wrk stopped), subscribers {subscribers}, "
        f"consent events {events}, confirmations counted {mails}, mails in outbox {files}, "
        f"still queued {queued}"
    )


def bench_database(
    name: str, url: str | None, args: argparse.Namespace, script: Path
) -> list[Result]:
    root = Path(tempfile.mkdtemp(prefix=f"linked-load-{name}-"))
    (root / "editions").mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKED_")}
    env.update(
        PYTHONPATH=str(REPO),
        LINKED_SECRET_KEY="bench-secret",
        LINKED_FROM="Linked <bulletin@example.org>",
        LINKED_BASE_URL=f"http://127.0.0.1:{port}",
    )
    database_url = f"sqlite:///{root / 'subscribers' / 'linked.db'}"
    admin = None
    if url is not None:
        dbname = f"linked_load_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{dbname}"'))
        database_url = make_url(url).set(database=dbname).render_as_string(hide_password=False)
        env["LINKED_DATABASE_URL"] = database_url
    results: list[Result] = []
    proc = start_server(root, env, port)
    accepted = 0
    try:
        base = f"http://127.0.0.1:{port}"
        wrk(base, script, post=False, connections=10, seconds=2)  # warm up
        for connections in args.connections:
            for post in (False, True):
                data = wrk(base, script, post=post, connections=connections, seconds=args.duration)
                result = Result(name, "POST" if post else "GET", connections, **data)  # type: ignore[arg-type]
                results.append(result)
                print(result.row(), flush=True)
                if post:
                    accepted += result.requests - result.status
                time.sleep(args.pause)
        # Let the notice sender finish, then stop gracefully (SIGTERM).
        deadline = time.monotonic() + 120
        outbox = root / "outbox"
        while time.monotonic() < deadline:
            if len(list(outbox.glob("*.eml"))) >= accepted:
                time.sleep(2)  # and the requests that were in flight
                break
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    in_flight = sum(args.connections)
    print(check_afterwards(database_url, root / "outbox", accepted, in_flight), flush=True)
    log = (root / "serve.log").read_text()
    print(f"server log: {log.count('Traceback')} tracebacks, {log.count(' 500 ')} 500s", flush=True)
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "subscribe.lua"
        script.write_text(LUA, encoding="utf-8")
        print("| database | request | connections | req/s | median | p99 | non-2xx | dropped |")
        print("|---|---|---|---|---|---|---|---|")
        for name in args.databases:
            url = args.postgres_url if name == "postgresql" else None
            bench_database(name, url, args, script)


if __name__ == "__main__":
    main()
