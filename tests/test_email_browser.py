"""The composed email in Chromium: no sideways scroll on a phone, centred column on a desktop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from linked.archive import build_archive
from linked.compose import Composer, fill, greeting
from linked.edition import load_edition
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.project import EXAMPLE, make_project, project_settings
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
