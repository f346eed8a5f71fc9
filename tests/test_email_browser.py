"""The composed email in Chromium: no sideways scroll on a phone, centred column on a desktop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from linked.archive import build_archive
from linked.build import build_edition
from linked.compose import Composer, fill, greeting
from linked.edition import load_edition
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.project import EXAMPLE, add_edition, make_project, project_settings
from tests.fixtures.servers import free_port, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def email_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """email.html beside the archive it links to, so its logo and images really load."""
    tmp = tmp_path_factory.mktemp("email")
    root = make_project(tmp / "p")
    port = free_port()
    settings = project_settings(root, f"http://127.0.0.1:{port}")
    out = tmp / "site"
    build_archive(settings, out)
    composed = Composer(settings).edition(load_edition(root / "editions" / EXAMPLE.name))
    values = {"greeting": greeting("Sam Reader"), "unsubscribe_url": f"{settings.base_url}/u/x"}
    (out / "email.html").write_text(fill(composed.html, values, html_escape=True))
    app = FastAPI()
    app.mount("/", StaticFiles(directory=out, html=True))
    with serve(app, port) as base:
        yield f"{base}/email.html"


def load(browser: Any, url: str, width: int) -> Any:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def test_no_horizontal_scroll_at_375(browser: Any, email_url: str, artifacts: Path) -> None:
    page = load(browser, email_url, 375)
    page.screenshot(path=str(artifacts / "email-375.png"), full_page=True)
    assert page.locator("img").first.evaluate("i => i.naturalWidth") > 0, "logo loaded"
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    page.context.close()


def test_600px_column_is_centred_at_1280(browser: Any, email_url: str, artifacts: Path) -> None:
    page = load(browser, email_url, 1280)
    page.screenshot(path=str(artifacts / "email-1280.png"), full_page=True)
    boxes = page.locator('div[style*="max-width:600px"]').evaluate_all(
        "ds => ds.map(d => { const r = d.getBoundingClientRect(); return [r.left, r.right]; })"
    )
    assert len(boxes) > 5, "MJML sections are 600 px wide blocks"
    viewport = page.evaluate("document.documentElement.clientWidth")
    for left, right in boxes:
        assert right - left == pytest.approx(600, abs=1)
        assert left == pytest.approx(viewport - right, abs=2), (left, right, viewport)
    assert no_horizontal_scroll(page)
    page.context.close()


TABLE = """Courses this summer, all free for partner agencies:

| Course | Date | Places | Where to book |
|:--|:-:|--:|:--|
| Neglect: recognising and responding to it | Tuesday 1 June 2021 | 20 | https://www.durham-scp.org.uk/training/neglect-recognising-and-responding |
| Early help assessment | 15 June 2021 | 5 | [Book early help](https://www.durham-scp.org.uk/training/early-help) |
| Safeguarding awareness for volunteers and community groups | 29 June 2021 | 120 | www.durham-scp.org.uk/training |
"""


@pytest.fixture(scope="module")
def table_email_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An edition whose article is a wide GFM table, as the email a reader opens."""
    tmp = tmp_path_factory.mktemp("table")
    root = make_project(tmp / "p", example=False)
    add_edition(
        root / "editions",
        "2021-06",
        "Linked — June 2021",
        date(2021, 6, 25),
        articles=[("Training dates", TABLE)],
    )
    port = free_port()
    settings = project_settings(root, f"http://127.0.0.1:{port}")
    out = tmp / "site"
    build_archive(settings, out)
    composed = Composer(settings).edition(load_edition(root / "editions" / "2021-06"))
    assert "<table cellpadding" in composed.html
    values = {"greeting": greeting("Sam Reader"), "unsubscribe_url": f"{settings.base_url}/u/x"}
    (out / "email.html").write_text(fill(composed.html, values, html_escape=True))
    app = FastAPI()
    app.mount("/", StaticFiles(directory=out, html=True))
    with serve(app, port) as base:
        yield base


@pytest.mark.parametrize("path", ["/email.html", "/editions/2021-06/"])
def test_a_table_fits_a_phone_and_passes_axe(
    browser: Any, table_email_url: str, artifacts: Path, path: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = load(browser, f"{table_email_url}{path}", 375)
    name = "email" if path.endswith(".html") else "archive"
    page.screenshot(path=str(artifacts / f"table-{name}-375.png"), full_page=True)
    table = page.locator("th", has_text="Course").locator("xpath=ancestor::table[1]")
    assert table.locator("tbody tr").count() == 3
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    # The table itself does not scroll sideways either (the archive lets wide ones scroll).
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
    # An email is shown inside the mail program's own page, which has the landmarks: the two
    # page-landmark rules do not apply to it (the email's wrapper is role article, as usual).
    # Every other rule runs; the archive page gets all of them.
    page_only = {"region": {"enabled": False}, "landmark-one-main": {"enabled": False}}
    results = Axe().run(page, options={"rules": page_only} if name == "email" else None)
    assert results.violations_count == 0, results.generate_report()
    page.context.close()


def test_built_email_html_shows_its_images_opened_from_disk(
    browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    """``linked build``'s email.html, opened as a file: the logo and every image load, though
    base_url points at a server that is not there."""
    root = make_project(tmp_path / "p")
    settings = project_settings(root, "https://bulletin.invalid")
    out = tmp_path / "build"
    build_edition(settings, root / "editions" / EXAMPLE.name, out)
    page = browser.new_context(viewport={"width": 375, "height": 900}).new_page()
    page.goto((out / "email.html").as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifacts / "email-from-disk-375.png"), full_page=True)
    widths = page.locator("img").evaluate_all("is => is.map(i => [i.src, i.naturalWidth])")
    assert len(widths) > 3
    assert [src for src, width in widths if width == 0] == []
    assert all(src.startswith("file://") for src, _ in widths)
    page.context.close()
