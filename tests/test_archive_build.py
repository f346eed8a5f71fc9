"""The static archive: files written, page structure and content, publication, escaping."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from typer.testing import CliRunner

from linked.archive import Archive, build_archive
from linked.archive.build import MARKER
from linked.cli import app
from linked.compose import Composer
from linked.edition import load_edition
from linked.errors import LinkedError
from tests.fixtures.project import EXAMPLE, add_edition, make_project, project_settings

BASE = "https://bulletin.example.org"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    add_edition(root / "editions", "2021-07", "Linked — July 2021", date(2021, 7, 30), number=4)
    add_edition(root / "editions", "2099-01", "Not yet", date(2099, 1, 1), number=99)
    out = tmp_path / "site"
    build_archive(project_settings(root), out)
    return out


def test_writes_every_page_feed_index_and_asset(site: Path) -> None:
    for rel in [
        "index.html",
        "search.html",
        "404.html",
        "feed.xml",
        "search.json",
        "static/archive.css",
        "static/search.js",
        "static/logo.png",
        "editions/2021-05/index.html",
        "editions/2021-07/index.html",
    ]:
        assert (site / rel).is_file(), rel
    copied = sorted(p.name for p in (site / "editions/2021-05/images").iterdir())
    assert copied == sorted(p.name for p in (EXAMPLE / "images").iterdir())
    assert (site / "editions/2021-05/images/wood-report.png").read_bytes() == (
        EXAMPLE / "images/wood-report.png"
    ).read_bytes()


def test_future_edition_is_not_published_anywhere(site: Path) -> None:
    assert not (site / "editions/2099-01").exists()
    for rel in ["index.html", "feed.xml", "search.json"]:
        assert "2099-01" not in (site / rel).read_text(), rel
        assert "Not yet" not in (site / rel).read_text(), rel


def test_index_lists_editions_newest_first_with_their_article_titles(site: Path) -> None:
    page = soup(site / "index.html")
    cards = page.select(".edition-card")
    assert [c.h2.get_text(strip=True) for c in cards if c.h2] == [
        "Linked — July 2021",
        "Linked — May 2021",
    ]
    may = cards[1]
    assert "28 May 2021" in may.get_text() and "Edition 3" in may.get_text()
    assert may.find("time")["datetime"] == "2021-05-28"  # type: ignore[index]
    titles = [a.get_text(strip=True) for a in may.select("ul li a")]
    expected = [a.title for a in load_edition(EXAMPLE).articles]
    assert titles == expected
    link = may.select_one("h2 a")
    # Relative, and naming the file: the site works from disk and under any path.
    assert link is not None and link["href"] == "editions/2021-05/index.html"


@pytest.mark.parametrize("rel", ["index.html", "editions/2021-05/index.html", "search.html"])
def test_pages_are_accessible_by_structure(site: Path, rel: str) -> None:
    page = soup(site / rel)
    html = page.find("html")
    assert isinstance(html, Tag) and html["lang"] == "en-GB"
    for landmark in ["header", "nav", "main", "footer"]:
        assert page.find(landmark) is not None, landmark
    skip = page.find("a")
    assert isinstance(skip, Tag) and skip["href"] == "#main" and "Skip" in skip.get_text()
    assert page.find(id="main") is not None
    levels = [int(h.name[1]) for h in page.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    for img in page.find_all("img"):
        assert img.get("alt"), img


@pytest.mark.parametrize("rel", ["index.html", "editions/2021-05/index.html", "search.html"])
def test_no_third_party_fonts_scripts_or_trackers(site: Path, rel: str) -> None:
    page = soup(site / rel)
    assets = [t.get("src") for t in page.find_all(["script", "img", "iframe"])] + [
        t.get("href") for t in page.find_all("link")
    ]
    for url in filter(None, assets):
        # Our own files (relative, or under base_url), or inline data (the empty favicon):
        # nothing from anyone else.
        parts = urlsplit(str(url))
        own = (not parts.scheme and not parts.netloc) or str(url).startswith(f"{BASE}/")
        assert own or parts.scheme == "data", url
    assert not page.find_all("script", src=False), "no inline scripts"


def test_canonical_urls_come_from_base_url(site: Path) -> None:
    def canonical(rel: str) -> str:
        link = soup(site / rel).find("link", rel="canonical")
        assert isinstance(link, Tag)
        return str(link["href"])

    assert canonical("index.html") == f"{BASE}/"
    assert canonical("editions/2021-05/index.html") == f"{BASE}/editions/2021-05/"
    assert canonical("search.html") == f"{BASE}/search.html"
    assert soup(site / "404.html").find("link", rel="canonical") is None
    assert soup(site / "404.html").find("meta", attrs={"name": "robots"}) is not None


def test_edition_page_has_the_email_content_without_personal_links(site: Path) -> None:
    edition = load_edition(EXAMPLE)
    page = soup(site / "editions/2021-05/index.html")
    main = page.find("main")
    assert isinstance(main, Tag)
    for article in edition.articles:
        heading = main.find(id=article.anchor)
        assert isinstance(heading, Tag) and heading.get_text(strip=True) == article.title
    # Every link and image in the email's article bodies appears on the page too.
    email = BeautifulSoup(
        Composer(project_settings(EXAMPLE.parent.parent)).edition(edition).html, "html.parser"
    )
    frame = {f"{BASE}/", f"{BASE}/editions/2021-05/"}  # the email's logo and view-online links
    # The email's contents list opens this page at each article (the page's own list
    # jumps within the page).
    contents = {f"{BASE}/editions/2021-05/#{a.anchor}" for a in edition.articles}
    email_links = {a["href"] for a in email.find_all("a")} - frame - contents
    page_links = {a["href"] for a in main.find_all("a")}
    assert {h for h in email_links if "%%" not in str(h)} <= page_links
    text = page.get_text()
    assert "%%LINKED" not in page.decode()
    assert "Hello Sam" not in text
    assert not [p for p in main.find_all("p") if p.get_text(strip=True) == "Hello,"]
    assert not [a for a in page.find_all("a") if "unsubscribe" in str(a.get("href", ""))]
    image = main.find("img", src="images/wood-report.png")  # beside the page, in its folder
    assert (site / "editions/2021-05/images/wood-report.png").is_file()
    assert isinstance(image, Tag) and image["alt"] == edition.articles[0].image_alt


def test_subscribe_form_posts_to_base_url_with_a_hidden_honeypot(site: Path) -> None:
    form = soup(site / "editions/2021-05/index.html").find("form", class_="subscribe-form")
    assert isinstance(form, Tag)
    assert form["action"] == f"{BASE}/subscribe" and form["method"] == "post"
    names = {i["name"] for i in form.find_all("input")}
    assert names == {"email", "name", "website"}
    email = form.find("input", attrs={"name": "email"})
    assert isinstance(email, Tag) and email["type"] == "email" and email.has_attr("required")
    honeypot = form.find("input", attrs={"name": "website"})
    assert isinstance(honeypot, Tag) and honeypot["tabindex"] == "-1"
    wrapper = honeypot.parent
    assert isinstance(wrapper, Tag) and wrapper["aria-hidden"] == "true"
    assert ".hp" in (site / "static/archive.css").read_text()
    for field in form.find_all("input"):
        assert form.find("label", attrs={"for": field["id"]}) is not None


def test_search_page_works_without_javascript(site: Path) -> None:
    page = soup(site / "search.html")
    form = page.find("form", role="search")
    assert isinstance(form, Tag) and form["method"] == "get"
    noscript = page.find("noscript")
    assert noscript is not None and "JavaScript" in noscript.get_text()
    script = page.find("script")
    assert isinstance(script, Tag) and script["src"] == "static/search.js"


def test_user_values_are_escaped(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", example=False)
    add_edition(
        root / "editions",
        "x",
        "<script>alert(1)</script> & co",
        date(2021, 1, 1),
        articles=[("<img src=x onerror=alert(2)>", "Body <b>bold</b>")],
    )
    out = tmp_path / "site"
    build_archive(project_settings(root), out)
    for rel in ["index.html", "editions/x/index.html"]:
        html = (out / rel).read_text()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_rebuild_removes_withdrawn_editions_but_refuses_foreign_folders(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", example=False)
    add_edition(root / "editions", "a", "A", date(2021, 1, 1))
    add_edition(root / "editions", "b", "B", date(2021, 2, 1))
    out = tmp_path / "site"
    settings = project_settings(root)
    build_archive(settings, out)
    assert (out / "editions/b/index.html").is_file() and (out / MARKER).is_file()
    for path in sorted((root / "editions/b").iterdir()):
        path.unlink()
    (root / "editions/b").rmdir()
    build_archive(settings, out)
    assert not (out / "editions/b").exists() and (out / "editions/a/index.html").is_file()

    foreign = tmp_path / "important"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(LinkedError, match="not empty"):
        build_archive(settings, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_publication_follows_the_clock(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", example=False)
    add_edition(root / "editions", "soon", "Soon", date(2021, 5, 28))
    settings = project_settings(root)
    before = Archive(settings, clock=lambda: datetime(2021, 5, 27, 12, tzinfo=UTC))
    after = Archive(settings, clock=lambda: datetime(2021, 5, 28, 12, tzinfo=UTC))
    assert build_archive(settings, tmp_path / "a", before).catalogue.editions == ()
    assert [e.slug for e in build_archive(settings, tmp_path / "b", after).catalogue.editions] == [
        "soon"
    ]


def test_cli_builds_and_reports_broken_editions_without_failing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    broken = root / "editions" / "2021-06"
    broken.mkdir()
    (broken / "edition.md").write_text("---\ntitle: Broken\n---\nNo date.\n")
    (broken / "01-a.md").write_text("---\ntitle: A\n---\nBody\n")
    out = tmp_path / "site"
    result = CliRunner().invoke(app, ["--root", str(root), "archive", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2021-06" in result.output and "'date' is required" in result.output
    assert "Wrote 1 edition(s)" in result.output
    assert (out / "editions/2021-05/index.html").is_file()
    assert not (out / "editions/2021-06").exists()
