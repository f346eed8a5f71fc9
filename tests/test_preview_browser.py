"""The preview in Chromium: accessible, and it reloads itself when a file is saved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linked.preview import create_preview_app
from tests.fixtures.project import EXAMPLE, make_project, project_settings
from tests.fixtures.servers import free_port, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The preview of a temp copy of the example edition, on a real uvicorn server."""
    root = make_project(tmp_path / "p")
    folder = root / "editions" / EXAMPLE.name
    port = free_port()
    app = create_preview_app(project_settings(root, f"http://127.0.0.1:{port}"), folder)
    with serve(app, port) as base:
        yield base, folder


def open_preview(browser: Any, base: str, artifacts: Path | None = None) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/")
    page.frame_locator("iframe").first.locator("text=Hello Sam Reader,").wait_for()
    if artifacts is not None:
        page.screenshot(path=str(artifacts / "preview-1280.png"))
    return page


def test_preview_page_has_no_axe_violations(
    browser: Any, preview: tuple[str, Path], artifacts: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = open_preview(browser, preview[0], artifacts)
    # The page itself: the framed email is checked by the email's own tests.
    results = Axe().run(page, options={"resultTypes": ["violations"], "iframes": False})
    assert results.violations_count == 0, results.generate_report()
    widths = page.locator("iframe").evaluate_all("fs => fs.map(f => f.clientWidth)")
    assert sorted(widths) == [373, 638]  # 375 and 640 px frames, less their 1 px borders
    page.context.close()


def test_saving_a_file_updates_the_page_without_a_manual_reload(
    browser: Any, preview: tuple[str, Path]
) -> None:
    base, folder = preview
    page = open_preview(browser, base)
    page.evaluate("window.notReloaded = true")
    article = folder / "01-wood-report.md"
    time.sleep(0.5)  # let the watcher start before the first save
    article.write_text(article.read_text().replace("The Wood Report:", "The Wood Review:", 1))
    page.locator("#plain-text", has_text="The Wood Review: a review").wait_for(timeout=15000)
    frame = page.frame_locator("iframe").first
    frame.locator("text=The Wood Review: a review of safeguarding arrangements").first.wait_for()
    assert page.evaluate("window.notReloaded === undefined"), "the page reloaded itself"

    # A broken save shows the error in the page; the server keeps running.
    article.write_text("---\ntitle: [unclosed\n---\nBody\n")
    page.locator("#errors", has_text="01-wood-report.md").wait_for(timeout=15000)
    assert page.locator("iframe").count() == 0
    article.write_text(
        (EXAMPLE / "01-wood-report.md").read_text().replace("The Wood Report:", "Fixed:", 1)
    )
    page.locator("#plain-text", has_text="Fixed: a review").wait_for(timeout=15000)
    page.context.close()
