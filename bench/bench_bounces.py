"""Classifying bounce-mailbox messages: messages per second over the test corpus.

Classifies ``--messages`` messages (default 10,000) taken round-robin from the corpus
in ``tests/fixtures/bounce_corpus.py`` (Postfix, Exim, Microsoft 365, Gmail and Sendmail
bounces, a DSN without a recipient, an ARF complaint, an out-of-office reply, a
person's mail), each with its own Message-ID, in one process. Only
:func:`linked.bounces.classify.classify` is timed: parsing, the DSN/ARF reading, the
auto-reply check and flufl.bounce's detectors where they run. Target: >= 500 messages/s.

Run: .venv/bin/python bench/bench_bounces.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linked.bounces.classify import classify
from tests.fixtures.bounce_corpus import NAMES, corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    samples = corpus({name: f"{i + 1}-abcdefghijklmnop" for i, name in enumerate(NAMES)})
    messages = []
    for n in range(args.messages):
        sample = samples[n % len(samples)]
        messages.append(sample.raw.replace(b"Message-I", f"X-Copy: {n}\r\nMessage-I".encode(), 1))
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    for raw in messages:
        kinds[classify(raw).kind.value] += 1
    elapsed = time.perf_counter() - started
    print(f"{len(messages)} messages in {elapsed:.2f} s: {len(messages) / elapsed:,.0f} messages/s")
    print("by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
