"""The preview: sample-filled email, check results in the page, errors shown not raised."""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from linked.compose.templates import DEFAULT_TEMPLATES
from linked.preview import create_preview_app
from linked.preview.changes import Changes
from linked.preview.page import preview_edition
from tests.fixtures.project import EXAMPLE, make_project, project_settings

BASE = "http://127.0.0.1:8025"


def example(tmp_path: Path) -> tuple[Path, Path]:
    root = make_project(tmp_path / "p")
    return root, root / "editions" / EXAMPLE.name


def test_preview_fills_slots_for_the_sample_reader(tmp_path: Path) -> None:
    root, folder = example(tmp_path)
    preview = preview_edition(project_settings(root, BASE), folder)
    assert preview.html is not None and preview.text is not None
    assert "Hello Sam Reader," in preview.html and "Hello Sam Reader," in preview.text
    assert "%%LINKED" not in preview.html + preview.text
    # Images resolve to the preview server, which serves them from the folder being edited.
    assert f"{BASE}/editions/2021-05/images/wood-report.png" in preview.html
    assert preview.errors == []


def test_preview_server_shows_email_text_and_check_results(tmp_path: Path) -> None:
    root, folder = example(tmp_path)
    app = create_preview_app(project_settings(root, BASE), folder)
    with TestClient(app) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert "Check results" in page.text and "Plain-text part" in page.text
        assert page.text.count("<iframe") == 2 and 'src="/email.html' in page.text
        assert "375 px" in page.text and "640 px" in page.text
        assert "Hello Sam Reader," in c.get("/email.html").text
        assert "IN THIS EDITION" in c.get("/email.txt").text
        image = c.get("/editions/2021-05/images/wood-report.png")
        assert image.content == (folder / "images/wood-report.png").read_bytes()
        assert c.get("/static/logo.png").status_code == 200
        assert c.get("/editions/2021-05/../../linked.toml").status_code == 404
        assert c.get("/editions/other/edition.md").status_code == 404


def test_bad_edition_shows_its_errors_instead_of_crashing(tmp_path: Path) -> None:
    root, folder = example(tmp_path)
    (folder / "edition.md").write_text("---\ntitle: Broken\ndate: someday\n---\nHi\n")
    (folder / "02-practitioner-survey.md").write_text("no front matter at all\n")
    app = create_preview_app(project_settings(root, BASE), folder)
    with TestClient(app) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert "2021-05/edition.md" in page.text and "ISO date" in page.text
        assert "02-practitioner-survey.md" in page.text
        assert "<iframe" not in page.text
        assert c.get("/email.html").status_code == 422


def test_broken_template_is_shown_in_the_page(tmp_path: Path) -> None:
    root, folder = example(tmp_path)
    shutil.copytree(DEFAULT_TEMPLATES, root / "templates")
    layout = root / "templates/email/edition.mjml.j2"
    layout.write_text(layout.read_text() + "{% if %}")
    app = create_preview_app(project_settings(root, BASE), folder)
    with TestClient(app) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert "email template" in page.text and 'id="failure"' in page.text


def test_changes_wake_waiters_and_time_out() -> None:
    async def scenario() -> tuple[int, int]:
        changes = Changes()
        waiter = asyncio.create_task(changes.wait(0, timeout=5))
        await asyncio.sleep(0.01)
        changes.bump()
        woken = await asyncio.wait_for(waiter, 1)
        quiet = await changes.wait(woken, timeout=0.05)
        return woken, quiet

    # Its own thread and loop: the session's Playwright (sync API) owns this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == (1, 1)
