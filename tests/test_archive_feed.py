"""The Atom feed: valid XML, newest first, full content of every published edition."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from linked.archive import build_archive
from linked.edition import load_edition
from tests.fixtures.project import EXAMPLE, add_edition, make_project, project_settings

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://bulletin.example.org"


def build_feed(tmp_path: Path) -> ET.Element:
    root = make_project(tmp_path / "p")
    add_edition(
        root / "editions",
        "2021-07",
        "July",
        date(2021, 7, 30),
        articles=[("Summer", "Last *article* text, in full.")],
    )
    add_edition(root / "editions", "2099-01", "Future", date(2099, 1, 1))
    out = tmp_path / "site"
    build_archive(project_settings(root), out)
    return ET.fromstring((out / "feed.xml").read_bytes())


def test_feed_parses_and_lists_published_editions_newest_first(tmp_path: Path) -> None:
    feed = build_feed(tmp_path)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == f"{BASE}/"
    self_link = [x for x in feed.findall(f"{ATOM}link") if x.get("rel") == "self"]
    assert self_link and self_link[0].get("href") == f"{BASE}/feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"{BASE}/editions/2021-07/",
        f"{BASE}/editions/2021-05/",
    ]
    assert feed.findtext(f"{ATOM}updated", "").startswith("2021-07-30")


def test_feed_entries_carry_full_content(tmp_path: Path) -> None:
    entries = build_feed(tmp_path).findall(f"{ATOM}entry")
    july, may = entries
    content = may.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    html = BeautifulSoup(content.text or "", "html.parser")
    edition = load_edition(EXAMPLE)
    # Full content: every article's heading and the last paragraph of the last article.
    for article in edition.articles:
        assert html.find(id=article.anchor) is not None, article.anchor
    last_words = edition.articles[-1].body.strip().split()[-4:]
    assert " ".join(last_words).rstrip(".*") in html.get_text(" ")
    july_content = july.find(f"{ATOM}content")
    assert july_content is not None and "<em>article</em>" in (july_content.text or "")
    assert "%%LINKED" not in (content.text or "")
