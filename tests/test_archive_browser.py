"""The public journey in headless Chromium: index → edition → search → article; layout; axe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from linked.archive import build_archive
from linked.web.archive import router
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.project import add_edition, make_project, project_settings
from tests.fixtures.servers import free_port, serve

pytestmark = pytest.mark.browser

WIDTHS = {"mobile": (375, 812), "desktop": (1280, 900)}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("project"))
    add_edition(
        root / "editions",
        "2021-07",
        "Linked — July 2021",
        date(2021, 7, 30),
        number=4,
        articles=[
            ("Summer holiday activities", "Free activities across County Durham this summer."),
            (
                "A very long word",
                "Antidisestablishmentarianism" * 4
                + " and https://example.org/"
                + "a-really-long-unbroken-url-path-segment" * 3,
            ),
        ],
    )
    return root


@pytest.fixture(scope="module")
def live(project: Path) -> Iterator[str]:
    """The archive router on a real uvicorn server, with base_url pointing at it."""
    port = free_port()
    app = FastAPI()
    app.include_router(router(project_settings(project, f"http://127.0.0.1:{port}")))
    with serve(app, port) as base:
        yield base


def new_page(browser: Any, width: int = 1280, height: int = 900, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.console_errors = errors
    return page


def test_walk_index_to_edition_and_search_finds_an_article(browser: Any, live: str) -> None:
    page = new_page(browser)
    page.goto(f"{live}/")
    assert page.locator("h1").inner_text() == "Linked: every edition"
    page.get_by_role("link", name="Linked — May 2021").click()
    page.wait_for_url(f"{live}/editions/2021-05/index.html")
    assert page.locator("h1").inner_text() == "Linked — May 2021"
    assert page.locator("img.article-image").first.evaluate("i => i.naturalWidth") > 0

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.wait_for_url(f"{live}/search.html")
    page.get_by_label("Words to find").fill("wood review")
    result = page.locator("#search-results li a").first
    result.wait_for()
    assert result.inner_text() == "The Wood Report: a review of safeguarding arrangements"
    assert "1 article found" in page.locator("#search-status").inner_text()
    result.click()
    page.wait_for_url(f"{live}/editions/2021-05/index.html#wood-report")
    assert page.locator("#wood-report").is_visible()

    page.goto(f"{live}/search.html?q=nothing-matches-this")
    page.locator("#search-status").filter(has_text="No articles match").wait_for()
    assert page.console_errors == []
    page.context.close()


def test_words_typed_before_the_index_arrives_are_searched(browser: Any, live: str) -> None:
    """On a slow connection people type before search.json is in: their words still count."""
    page = new_page(browser)
    held: list[Any] = []
    page.route("**/search.json", lambda route: held.append(route))
    page.goto(f"{live}/search.html")
    page.get_by_label("Words to find").fill("wood review")
    page.wait_for_timeout(200)  # lets the held request reach the route
    assert len(held) == 1 and page.locator("#search-results li").count() == 0
    held[0].continue_()
    page.locator("#search-results li a").first.wait_for()
    assert "1 article found" in page.locator("#search-status").inner_text()
    page.context.close()


def test_search_page_explains_itself_without_javascript(browser: Any, live: str) -> None:
    page = new_page(browser, java_script_enabled=False)
    page.goto(f"{live}/search.html")
    notice = page.locator(".notice")
    assert notice.is_visible() and "needs JavaScript" in notice.inner_text()
    assert page.get_by_role("link", name="list of all editions").is_visible()
    page.context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("index", "/"),
        ("edition", "/editions/2021-05/"),
        ("long-words", "/editions/2021-07/"),
        ("search", "/search.html?q=safeguarding"),
        ("404", "/editions/nope/"),
    ],
)
def test_no_horizontal_scroll_and_screenshots(
    browser: Any, live: str, artifacts: Path, width: str, name: str, path: str
) -> None:
    w, h = WIDTHS[width]
    page = new_page(browser, w, h)
    page.goto(f"{live}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"archive-{name}-{w}.png"), full_page=True)
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    page.context.close()


def test_skip_link_is_first_and_focus_is_visible(browser: Any, live: str) -> None:
    page = new_page(browser)
    page.goto(f"{live}/editions/2021-05/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    top = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert top >= 0, "the skip link comes into view when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


@pytest.mark.parametrize(
    "path", ["/", "/editions/2021-05/", "/search.html?q=survey", "/editions/nope/"]
)
def test_axe_finds_no_violations(browser: Any, live: str, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = new_page(browser)
    page.goto(f"{live}{path}")
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.context.close()


def test_static_build_works_from_plain_files(browser: Any, project: Path, tmp_path: Path) -> None:
    """The built folder, served by a dumb file server, gives the same journey."""
    port = free_port()
    out = tmp_path / "site"
    build_archive(project_settings(project, f"http://127.0.0.1:{port}"), out)
    app = FastAPI()
    app.mount("/", StaticFiles(directory=out, html=True))
    with serve(app, port) as base:
        page = new_page(browser, 375, 812)
        page.goto(f"{base}/")
        page.get_by_role("link", name="Linked — July 2021").click()
        page.wait_for_url(f"{base}/editions/2021-07/index.html")
        page.goto(f"{base}/search.html")
        page.get_by_label("Words to find").fill("holiday")
        page.locator("#search-results li a", has_text="Summer holiday activities").click()
        page.wait_for_url(f"{base}/editions/2021-07/index.html#article-1")
        assert page.console_errors == []
        response = page.goto(f"{base}/nope/")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        page.context.close()


STYLED = "getComputedStyle(document.querySelector('.site-header')).borderBottomStyle"


def _looks_styled(page: Any) -> None:
    """The stylesheet applied and every image on the page loaded."""
    assert page.evaluate(STYLED) == "solid", "archive.css applied"
    broken = page.locator("img").evaluate_all(
        "is => is.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == []


def test_built_site_looks_the_same_opened_from_disk(
    browser: Any, project: Path, tmp_path: Path, artifacts: Path
) -> None:
    out = tmp_path / "site"
    build_archive(project_settings(project, "https://bulletin.invalid"), out)
    page = new_page(browser, 375, 812)
    page.goto((out / "index.html").as_uri())
    page.wait_for_load_state("load")
    _looks_styled(page)
    page.get_by_role("link", name="Linked — May 2021").click()
    page.wait_for_load_state("load")
    assert page.url == (out / "editions/2021-05/index.html").as_uri()
    assert page.locator("img.article-image").count() > 0
    _looks_styled(page)
    page.screenshot(path=str(artifacts / "archive-from-disk-375.png"), full_page=True)
    page.get_by_role("link", name="All editions").first.click()
    page.wait_for_load_state("load")
    assert page.url == (out / "index.html").as_uri()
    page.context.close()


def test_built_site_works_served_under_a_sub_path(
    browser: Any, project: Path, tmp_path: Path
) -> None:
    """Hosted at /bulletin/ of some site, while base_url names another place entirely."""
    out = tmp_path / "site"
    build_archive(project_settings(project, "https://bulletin.invalid"), out)
    app = FastAPI()
    app.mount("/bulletin", StaticFiles(directory=out, html=True))
    port = free_port()
    with serve(app, port) as base:
        page = new_page(browser)
        page.goto(f"{base}/bulletin/")
        page.wait_for_load_state("networkidle")
        _looks_styled(page)
        page.get_by_role("link", name="Linked — May 2021").click()
        page.wait_for_url(f"{base}/bulletin/editions/2021-05/index.html")
        page.wait_for_load_state("networkidle")
        _looks_styled(page)
        assert page.console_errors == []
        page.context.close()
