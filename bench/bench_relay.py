"""Send benchmark through a real Postfix: Linked against smtp-source, same relay, same run.

    python bench/bench_relay.py [--messages 1000] [--runs 2] [--pool 10]

Starts the test suite's Postfix (``tests/fixtures/postfix.py``: its own config, queue
and log in a temporary folder; needs root and the postfix/dovecot-core packages) and
uses its plain port: every message is written to Postfix's disk queue (fsync) before
it is accepted, then relayed to a Maildir sink. For each run, ``linked send`` (a child
process, as in ``bench_send.py``) and ``smtp-source -s 10`` send the same number of
messages of the same size to that port, one after the other, waiting for the queue
to drain in between. Reported: messages per second for Linked's whole command and
its send phase, for smtp-source, the ratios, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_send import SOURCE, message_size, run_linked  # noqa: E402

from tests.fixtures import postfix  # noqa: E402


def run_source(port: int, count: int, size: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [SOURCE, "-d", "-s", "10", "-m", str(count), "-l", str(size), f"127.0.0.1:{port}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    if (reason := postfix.missing()) is not None:
        raise SystemExit(reason)
    size = message_size()
    relay = postfix.start_relay()
    results = []
    try:
        port = relay.ports["plain"]
        for _ in range(args.runs):
            linked = run_linked(port, args.messages, args.pool)
            relay.flush_queue(timeout=300)
            source = run_source(port, args.messages, size)
            relay.flush_queue(timeout=300)
            results.append(
                {
                    "linked_whole": linked["wall_rate"],
                    "linked_send_phase": linked["send_rate"],
                    "smtp_source": source,
                    "ratio_whole": linked["wall_rate"] / source,
                    "ratio_send_phase": linked["send_rate"] / source,
                    "load": os.getloadavg()[0],
                }
            )
            print(json.dumps(results[-1]), flush=True)
    finally:
        postfix.stop_relay(relay)
        shutil.rmtree(relay.folder, ignore_errors=True)
    summary = {
        key: statistics.median(r[key] for r in results)
        for key in (
            "linked_whole",
            "linked_send_phase",
            "smtp_source",
            "ratio_whole",
            "ratio_send_phase",
        )
    }
    print(json.dumps({"message_bytes": size, "messages": args.messages, "median": summary}))


if __name__ == "__main__":
    main()
