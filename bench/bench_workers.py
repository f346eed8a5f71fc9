"""Worker benchmark: 1, 2 and 4 ``linked worker`` processes on PostgreSQL against smtp-sink.

    python bench/bench_workers.py [--subscribers 20000] [--runs 3] [--workers 1,2,4]
                                  [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each run and worker count: a fresh PostgreSQL database and project (the ~20 KB
edition of ``bench_send.py``, N confirmed subscribers), ``linked send --detach`` to
queue the send, then that many ``python -m linked worker`` processes (default pool
of 10 connections each, no rate limit) until the send is ``done``. In the same run
``smtp-source -d -s 10 -m N -l 20000`` is timed against the same sink: the ceiling.
Reported: messages per second from the workers' start to the send's end, and for
the send phase alone (first to last ``sent_at``), with each ratio to the ceiling, and
the workers' CPU time (user + system, from ``os.wait4``) per message: on a machine
with fewer cores than processes, that, not the rate, shows what a worker costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_send import (
    EDITION,
    REPO,
    free_port,
    run_ceiling,
    seed,
    send_phase,
    start_sink,
    write_edition,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from linked.db.engine import make_engine
from linked.delivery import store
from linked.settings import load_settings


def fresh_database(server: str) -> str:
    """Create an empty database on ``server``; return its URL."""
    name = f"linked_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def stop(processes: list[subprocess.Popen[bytes]]) -> float:
    """SIGTERM the workers still running; return the CPU seconds (user + system) they used."""
    cpu = 0.0
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        if process.returncode is None:
            _pid, _status, usage = os.wait4(process.pid, 0)
            process.returncode = 0
            cpu += usage.ru_utime + usage.ru_stime
    return cpu


def run_workers(server: str, port: int, count: int, workers: int) -> dict[str, float]:
    """Queue a send of ``count`` and time ``workers`` worker processes delivering it."""
    root = Path(tempfile.mkdtemp(prefix="linked-bench-workers-"))
    database = fresh_database(server)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        LINKED_SECRET_KEY="bench-secret",
        LINKED_FROM="Linked <bulletin@example.org>",
        LINKED_SMTP_URL=f"smtp://127.0.0.1:{port}",
        LINKED_SMTP_MAX_PER_CONNECTION="1000",
        LINKED_DATABASE_URL=database,
        LINKED_WORKER_POLL_SECONDS="0.2",
        # What is measured is delivery, not the four-eyes step before it.
        LINKED_SEND_REQUIRES_APPROVAL="false",
    )
    os.environ["LINKED_DATABASE_URL"] = database  # seed() and send_phase() read the settings
    os.environ["LINKED_SEND_REQUIRES_APPROVAL"] = "false"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        write_edition(root)
        seed(root, count, env)
        linked = [sys.executable, "-m", "linked", "--root", str(root)]
        subprocess.run(
            [*linked, "send", EDITION, "--yes", "--detach"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        settings = load_settings(root, secret_key="bench-secret")
        engine = make_engine(settings)
        started = time.perf_counter()
        for _ in range(workers):
            processes.append(
                subprocess.Popen(
                    [*linked, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
            )
        while store.send_status(engine, EDITION) != "done":
            if any(p.poll() is not None for p in processes):
                raise SystemExit(
                    "a worker died: "
                    + "".join(
                        p.stderr.read().decode()[-2000:] for p in processes if p.stderr and p.poll()
                    )
                )
            time.sleep(0.05)
        wall = time.perf_counter() - started
        engine.dispose()
        sent, phase = send_phase(root, env)
        if sent != count:
            raise SystemExit(f"sent {sent} of {count}")
        cpu = stop(processes)
        return {
            "wall_rate": count / wall,
            "send_rate": count / phase,
            "cpu_ms_per_message": cpu * 1000 / count,
        }
    finally:
        stop(processes)
        os.environ.pop("LINKED_DATABASE_URL", None)
        os.environ.pop("LINKED_SEND_REQUIRES_APPROVAL", None)
        drop_database(server, database)
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    port = free_port()
    sink = start_sink(port)
    try:
        ceilings: list[float] = []
        results: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
        for run in range(args.runs):
            ceilings.append(run_ceiling(port, args.subscribers))
            line = [f"run {run + 1}: ceiling {ceilings[-1]:.0f} msg/s"]
            for n in counts:  # interleaved, so every count sees the same conditions
                results[n].append(run_workers(args.database_url, port, args.subscribers, n))
                last = results[n][-1]
                line.append(
                    f"{n} worker(s) {last['wall_rate']:.0f} / {last['send_rate']:.0f} msg/s, "
                    f"{last['cpu_ms_per_message']:.2f} ms CPU/msg"
                )
            print("; ".join(line), flush=True)
        ceiling = statistics.median(ceilings)
        summary: dict[str, object] = {
            "subscribers": args.subscribers,
            "runs": args.runs,
            "ceiling_msgs_per_s": round(ceiling),
        }
        for n in counts:
            wall = statistics.median(r["wall_rate"] for r in results[n])
            phase = statistics.median(r["send_rate"] for r in results[n])
            summary[f"{n}_workers"] = {
                "worker_cpu_ms_per_message": round(
                    statistics.median(r["cpu_ms_per_message"] for r in results[n]), 3
                ),
                "msgs_per_s": round(wall),
                "msgs_per_s_send_phase": round(phase),
                "ratio": round(wall / ceiling, 3),
                "ratio_send_phase": round(phase / ceiling, 3),
            }
        print(json.dumps(summary, indent=2))
    finally:
        sink.terminate()
        sink.wait(5)


if __name__ == "__main__":
    main()
