"""The prebuilt search index: small, published editions only, one entry per article."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from linked.archive import build_archive
from linked.archive.search import EXCERPT_CHARS, excerpt
from linked.edition import load_edition
from tests.fixtures.project import EXAMPLE, add_edition, make_project, project_settings


def test_search_index_holds_titles_anchors_and_short_text(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    add_edition(root / "editions", "2099-01", "Future", date(2099, 1, 1))
    out = tmp_path / "site"
    build_archive(project_settings(root), out)
    index = json.loads((out / "search.json").read_text())
    assert [e["slug"] for e in index] == ["2021-05"]
    entry = index[0]
    assert entry["url"] == "editions/2021-05/index.html"  # from search.html, at the top
    assert entry["title"] == "Linked — May 2021" and entry["number"] == 3
    edition = load_edition(EXAMPLE)
    assert [(a["title"], a["anchor"]) for a in entry["articles"]] == [
        (a.title, a.anchor) for a in edition.articles
    ]
    for article in entry["articles"]:
        assert 0 < len(article["text"]) <= EXCERPT_CHARS + 1
        assert "\n" not in article["text"]
    assert entry["articles"][0]["text"].startswith("Sir Alan Wood has published his review")
    # Small enough to fetch at once: a few hundred bytes per article.
    assert (out / "search.json").stat().st_size < 600 * len(edition.articles)


def test_excerpt_cuts_at_a_word_and_drops_link_references() -> None:
    text = "See the guide [1] for more.\n\n" + "word " * 100
    short = excerpt(text, 40)
    assert short.startswith("See the guide for more. word")
    assert short.endswith("…") and len(short) <= 41 and "[1]" not in short
    assert excerpt("Short.") == "Short."
