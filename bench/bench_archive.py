"""Benchmark: ``linked archive build`` of 200 generated editions (about 10 articles each).

Run from the project root: ``/work/venv/bin/python bench/bench_archive.py [--editions N]
[--runs N]``. Prints each run and the median; the target is under 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linked.archive import build_archive
from linked.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
IMAGE = REPO / "editions" / "2021-05" / "images" / "wood-report.png"
PARAGRAPH = (
    "Partners across the county have worked together on {topic}. This article explains what "
    "changed, who it affects and where to find [the full guidance](https://example.org/{n}). "
    "Practitioners should read it alongside the *multi-agency procedures* and talk to their "
    "safeguarding lead about anything that is unclear.\n\n"
)


def generate(editions: Path, count: int, articles: int) -> None:
    """Write ``count`` editions, a month apart, each with ``articles`` articles and an image."""
    start = date(2005, 1, 1)
    for i in range(count):
        folder = editions / f"e{i:04d}"
        (folder / "images").mkdir(parents=True)
        shutil.copyfile(IMAGE, folder / "images" / "cover.png")
        when = start + timedelta(days=30 * i)
        (folder / "edition.md").write_text(
            f'---\ntitle: "Linked — edition {i + 1}"\ndate: {when.isoformat()}\n'
            f'number: {i + 1}\npreheader: "News for edition {i + 1}"\n---\n\n'
            f"Welcome to edition {i + 1} of **Linked**.\n"
        )
        for a in range(articles):
            image = "image: images/cover.png\nimage_alt: A report cover\n" if a == 0 else ""
            section = 'section: "Coming to a place near you"\n' if a >= articles - 3 else ""
            body = "".join(PARAGRAPH.format(topic=f"topic {a}", n=a) for _ in range(3))
            (folder / f"{a + 1:02d}-article-{a + 1}.md").write_text(
                f'---\ntitle: "Article {a + 1} of edition {i + 1}"\n{image}{section}---\n\n'
                f"## What changed\n\n{body}- one point\n- another point\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--editions", type=int, default=200)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "editions", args.editions, args.articles)
        settings = load_settings(root, base_url="https://bulletin.example.org")
        times = []
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            result = build_archive(settings, root / "site")
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            published = len(result.catalogue.editions)
            print(f"run {run}: {elapsed:.3f} s ({published} editions, {len(result.files)} files)")
        median = statistics.median(times)
        print(f"median of {args.runs}: {median:.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()
