"""Benchmark: a full edition build — load the files, compose HTML (MJML) and the text part.

Run: ``.venv/bin/python bench/bench_build.py [--runs N] [--edition editions/2021-05]``.
Measures, per run, ``load_edition`` + ``Composer.edition`` (Jinja2 → MJML → HTML, Markdown →
HTML and text) + preparing the MIME message, in one process with warm imports, as
``linked send`` and the scheduler do. Prints the median and spread in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from linked.compose import Composer
from linked.edition import load_edition
from linked.message import Recipient, prepare_message
from linked.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def build_once(composer: Composer, folder: Path) -> int:
    settings = composer.settings
    edition = load_edition(folder, settings.zone)
    composed = composer.edition(edition)
    raw = prepare_message(settings, composed).render(Recipient("reader@example.org", "Sam"))
    return len(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--edition", type=Path, default=ROOT / "editions" / "2021-05")
    args = parser.parse_args()
    settings = load_settings(ROOT)

    started = time.perf_counter()
    composer = Composer(settings)  # the first build also compiles the templates
    size = build_once(composer, args.edition)
    first = (time.perf_counter() - started) * 1000

    timings = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        build_once(composer, args.edition)
        timings.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(timings, n=20)
    print(f"edition: {args.edition}  message: {size / 1024:.1f} KiB")
    print(f"first build (cold templates): {first:.1f} ms")
    print(
        f"full build, {args.runs} runs: median {statistics.median(timings):.2f} ms, "
        f"p5 {q[0]:.2f} ms, p95 {q[-1]:.2f} ms (target < 20 ms)"
    )


if __name__ == "__main__":
    main()
