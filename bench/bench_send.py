"""Send benchmark: Linked against Postfix's smtp-sink, with smtp-source as the ceiling.

    python bench/bench_send.py [--subscribers 20000] [--runs 3] [--memory 10000,100000]

For each run a fresh project (SQLite database, ~20 KB edition, N confirmed
subscribers) is made in a temporary folder, and ``python -m linked send EDITION
--yes`` runs as a child process against ``smtp-sink``. In the same run
``smtp-source -d -s 10 -m N -l SIZE`` (SIZE: the bytes of one rendered copy of
Linked's message) is timed against the same sink: the ceiling. Reported: messages
per second for the whole command (start-up, check, compose, plan and send) and for
the send phase alone (first to last ``sent_at``), the ratio of each to the ceiling,
the child's CPU time per message (user + system, steadier than rates on a shared
machine; also without the command's fixed CPU, that of a one-message send), its
peak RSS (``os.wait4``) at the ``--memory`` list sizes, and the load average. The
sink runs unprivileged (``-u nobody``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linked.db.engine import make_engine  # noqa: E402
from linked.db.migrate import upgrade  # noqa: E402
from linked.delivery import store  # noqa: E402
from linked.settings import load_settings  # noqa: E402
from linked.subscribers.models import Subscriber  # noqa: E402

SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"
EDITION = "2021-06-bench"
PARAGRAPH = (
    "Partners across the county met this month to agree how referrals are shared, "
    "how quickly families hear back, and which training comes next. "
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_edition(root: Path) -> None:
    """An edition whose rendered message is about 20 KB."""
    folder = root / "editions" / EDITION
    folder.mkdir(parents=True)
    (folder / "edition.md").write_text(
        "---\ntitle: Benchmark edition\ndate: 2021-05-28\n"
        "preheader: Referrals, training and the partnership's plans\n---\n\n" + PARAGRAPH * 3 + "\n"
    )
    for n in range(1, 3):
        (folder / f"0{n}-article-{n}.md").write_text(
            f'---\ntitle: "Article {n}: what changes for practitioners"\n'
            "links:\n  - text: Read the guidance on our website\n"
            "    url: https://www.example.org/guidance\n---\n\n"
            + "\n\n".join([PARAGRAPH * 3] * 2)
            + "\n"
        )


def seed(settings_root: Path, count: int, env: dict[str, str]) -> None:
    settings = load_settings(settings_root, secret_key=env["LINKED_SECRET_KEY"])
    engine = make_engine(settings)
    upgrade(settings, engine)
    table = Subscriber.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(
                table.insert(),
                [
                    {
                        "email": f"reader{i}@example.net",
                        "email_key": f"reader{i}@example.net",
                        "name": f"Reader {i}",
                        "status": "confirmed",
                        "created_at": now,
                        "updated_at": now,
                        "source": "bench",
                        "confirmations_sent": 0,
                        "soft_bounces": 0,
                    }
                    for i in range(start, min(count, start + 10_000))
                ],
            )
    engine.dispose()


def send_phase(root: Path, env: dict[str, str]) -> tuple[int, float]:
    settings = load_settings(root, secret_key=env["LINKED_SECRET_KEY"])
    engine = make_engine(settings)
    table = store.T
    with engine.connect() as conn:
        first, last, n = conn.execute(
            sa.select(
                sa.func.min(table.c.sent_at), sa.func.max(table.c.sent_at), sa.func.count()
            ).where(table.c.state == "sent")
        ).one()
    engine.dispose()
    return int(n), (last - first).total_seconds()


def run_linked(port: int, count: int, pool: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="linked-bench-"))
    try:
        write_edition(root)
        env = dict(
            os.environ,
            LINKED_SECRET_KEY="bench-secret",
            LINKED_FROM="Linked <bulletin@example.org>",
            LINKED_BASE_URL="https://bulletin.example.org",  # not localhost: SMTP is refused then
            LINKED_SMTP_URL=f"smtp://127.0.0.1:{port}",
            LINKED_SMTP_POOL_SIZE=str(pool),
            LINKED_SMTP_MAX_PER_CONNECTION="1000",
            # The benchmark measures sending; four-eyes approval is a step before it.
            LINKED_SEND_REQUIRES_APPROVAL="false",
        )
        seed(root, count, env)
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "linked", "--root", str(root), "send", EDITION, "--yes"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            raise SystemExit(
                f"linked send failed: {child.stderr.read().decode() if child.stderr else ''}"
            )
        sent, phase = send_phase(root, env)
        if sent != count:
            raise SystemExit(f"sent {sent} of {count}")
        return {
            "sent": sent,
            "wall_s": wall,
            "wall_rate": count / wall,
            "send_rate": count / phase if phase > 0 else float("inf"),
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_us_per_msg": (usage.ru_utime + usage.ru_stime) / count * 1e6,
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_ceiling(port: int, count: int, size: int) -> float:
    """smtp-source's rate with messages of ``size`` bytes, Linked's own."""
    started = time.perf_counter()
    subprocess.run(
        [SOURCE, "-d", "-s", "10", "-m", str(count), "-l", str(size), f"127.0.0.1:{port}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return count / (time.perf_counter() - started)


def message_size() -> int:
    """Bytes of one rendered copy of the benchmark edition."""
    root = Path(tempfile.mkdtemp(prefix="linked-bench-size-"))
    try:
        write_edition(root)
        from linked.delivery.service import prepare_edition
        from linked.message import Recipient

        settings = load_settings(root, secret_key="x", from_address="Linked <b@example.org>")
        _subject, prepared = prepare_edition(settings, root / "editions" / EDITION)
        return len(prepared.render(Recipient("a@example.net", "A", "https://x/unsubscribe/t")))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def start_sink(port: int) -> subprocess.Popen[bytes]:
    command = [SINK, f"127.0.0.1:{port}", "1000"]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]
    sink = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise SystemExit("smtp-sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument(
        "--memory", default="10000,100000", help="list sizes for peak RSS; '' skips"
    )
    args = parser.parse_args()

    port = free_port()
    sink = start_sink(port)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    try:
        size = message_size()
        print(f"message size: {size} bytes; sink on port {port}", flush=True)
        # The command's fixed CPU (start-up, check, compose, plan of one row), taken off
        # the runs' CPU time to give the send's own CPU per message.
        fixed = statistics.median(run_linked(port, 1, args.pool)["cpu_s"] for _ in range(3))
        print(f"fixed CPU of a one-message send: {fixed * 1e3:.0f} ms", flush=True)
        ceilings, linked = [], []
        for run in range(args.runs):
            ceilings.append(run_ceiling(port, args.subscribers, size))
            linked.append(run_linked(port, args.subscribers, args.pool))
            linked[-1]["send_cpu_us_per_msg"] = (
                (linked[-1]["cpu_s"] - fixed) / args.subscribers * 1e6
            )
            print(
                f"run {run + 1}: ceiling {ceilings[-1]:.0f} msg/s; linked "
                f"{linked[-1]['wall_rate']:.0f} msg/s whole command, "
                f"{linked[-1]['send_rate']:.0f} msg/s send phase, "
                f"{linked[-1]['cpu_us_per_msg']:.0f} µs CPU/msg "
                f"({linked[-1]['send_cpu_us_per_msg']:.0f} µs without the fixed part), "
                f"peak RSS {linked[-1]['peak_rss_mb']:.1f} MB",
                flush=True,
            )
        result: dict[str, object] = {"message_bytes": size, "pool": args.pool}
        if args.runs:
            ceiling = statistics.median(ceilings)
            wall_rate = statistics.median(r["wall_rate"] for r in linked)
            send_rate = statistics.median(r["send_rate"] for r in linked)
            result |= {
                "subscribers": args.subscribers,
                "runs": args.runs,
                "ceiling_msgs_per_s": round(ceiling),
                "linked_msgs_per_s_whole_command": round(wall_rate),
                "linked_msgs_per_s_send_phase": round(send_rate),
                "ratio_whole_command": round(wall_rate / ceiling, 3),
                "ratio_send_phase": round(send_rate / ceiling, 3),
                "cpu_us_per_msg": round(statistics.median(r["cpu_us_per_msg"] for r in linked)),
                "fixed_cpu_ms": round(fixed * 1e3),
                "send_cpu_us_per_msg": round(
                    statistics.median(r["send_cpu_us_per_msg"] for r in linked)
                ),
                # Each run's own ratio (ceiling and Linked timed back to back), then the median.
                "ratio_whole_command_per_run": [
                    round(r["wall_rate"] / c, 3) for r, c in zip(linked, ceilings, strict=True)
                ],
            }
        memory = {}
        for count in [int(c) for c in args.memory.split(",") if c]:
            memory[count] = run_linked(port, count, args.pool)["peak_rss_mb"]
            print(f"{count} subscribers: peak RSS {memory[count]:.1f} MB", flush=True)
        if memory:
            result["peak_rss_mb"] = {str(k): round(v, 1) for k, v in memory.items()}
            values = list(memory.values())
            result["rss_spread"] = round(max(values) / min(values) - 1, 3)
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(result, indent=2))
    finally:
        sink.terminate()
        sink.wait(5)


if __name__ == "__main__":
    main()
