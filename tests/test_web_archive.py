"""The live router serves exactly what the static build writes, and HTML 404s."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from linked.archive import Archive, build_archive
from linked.web.archive import router
from tests.fixtures.project import add_edition, make_project, project_settings


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p")
    add_edition(root / "editions", "2021-07", "Midsummer", date(2021, 7, 30), number=4)
    add_edition(root / "editions", "2099-01", "Future", date(2099, 1, 1))
    return root


def client(root: Path, archive: Archive | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(router(project_settings(root), archive))
    return TestClient(app)


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),  # pages link each other by file name
        ("/editions/2021-05/", "editions/2021-05/index.html"),
        ("/editions/2021-05/index.html", "editions/2021-05/index.html"),
        ("/editions/2021-07/", "editions/2021-07/index.html"),
        ("/search.html", "search.html"),
        ("/search.json", "search.json"),
        ("/feed.xml", "feed.xml"),
        ("/static/archive.css", "static/archive.css"),
        ("/static/search.js", "static/search.js"),
        ("/static/logo.png", "static/logo.png"),
        ("/editions/2021-05/images/wood-report.png", "editions/2021-05/images/wood-report.png"),
    ],
)
def test_live_router_serves_the_same_bytes_as_the_static_build(
    project: Path, tmp_path: Path, url: str, file: str
) -> None:
    out = tmp_path / "site"
    build_archive(project_settings(project), out)
    response = client(project).get(url)
    assert response.status_code == 200
    assert response.content == (out / file).read_bytes()


def test_content_types(project: Path) -> None:
    c = client(project)
    assert c.get("/").headers["content-type"] == "text/html; charset=utf-8"
    assert c.get("/feed.xml").headers["content-type"].startswith("application/atom+xml")
    assert c.get("/search.json").headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "url",
    [
        "/editions/no-such-edition/",
        "/editions/2099-01/",  # exists but not yet published
        "/editions/2099-01/images/x.png",
        "/editions/2021-05/images/missing.png",
        "/editions/2021-05/images/%2e%2e/edition.md",
        "/static/../linked.toml",
        "/static/nope.css",
    ],
)
def test_unknown_or_unpublished_things_get_the_html_404_page(
    project: Path, tmp_path: Path, url: str
) -> None:
    out = tmp_path / "site"
    build_archive(project_settings(project), out)
    response = client(project).get(url)
    assert response.status_code == 404
    if response.headers["content-type"].startswith("text/html"):
        assert response.text == (out / "404.html").read_text()
    assert "Future" not in response.text


def test_an_edition_appears_live_when_its_time_comes(project: Path) -> None:
    now = [datetime(2021, 7, 29, 12, tzinfo=UTC)]
    archive = Archive(project_settings(project), clock=lambda: now[0])
    c = client(project, archive)
    assert c.get("/editions/2021-07/").status_code == 404
    assert "Midsummer" not in c.get("/").text
    now[0] = datetime(2021, 7, 30, 12, tzinfo=UTC)
    assert c.get("/editions/2021-07/").status_code == 200
    assert "Midsummer" in c.get("/").text


def test_live_router_notices_edited_and_broken_editions(project: Path) -> None:
    c = client(project)
    assert "Midsummer" in c.get("/").text
    head = project / "editions/2021-07/edition.md"
    head.write_text(head.read_text().replace("title: Midsummer", "title: Juillet"))
    assert "Juillet" in c.get("/").text
    head.write_text("---\ntitle: [broken\n---\n")
    page = c.get("/")
    assert page.status_code == 200 and "Juillet" not in page.text and "May 2021" in page.text
    assert c.get("/editions/2021-07/").status_code == 404
