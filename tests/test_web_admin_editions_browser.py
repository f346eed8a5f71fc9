"""The policy officer's journey in headless Chromium on a real server with a real SMTP server:
sign in, create an edition, write two articles in the textarea, see a check problem next to
its field and fix it, see the phone preview, send a proof that arrives. axe-core finds no
violations on any page at 375 and 1280 px; unsaved text survives a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from linked.accounts.models import Role
from linked.check import check_edition
from linked.settings import Settings
from linked.web.app import create_app
from tests.fixtures.browser import axe_problems, new_page, sign_in
from tests.fixtures.console import ROLE_EMAILS, console_project
from tests.fixtures.project import make_project
from tests.fixtures.servers import free_port, serve
from tests.fixtures.smtp import SMTPServer, running_smtp_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, SMTPServer]]:
    root = make_project(tmp_path_factory.mktemp("editions"), example=False)
    port = free_port()
    with running_smtp_server() as smtp:
        settings = console_project(root, port, smtp.url)
        with serve(create_app(settings), port) as base:
            yield base, settings, smtp


def write_body(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Text (Markdown)")
    box.fill("")
    box.press_sequentially(text, delay=5)


def test_the_policy_officers_journey(
    browser: Any, site: tuple[str, Settings, SMTPServer], artifacts: Path
) -> None:
    base, settings, smtp = site
    page = new_page(browser)
    failures: list[Any] = []
    sign_in(page, base, Role.editor)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Editions").click()
    page.wait_for_url(f"{base}/admin/editions/")
    page.get_by_label("Folder name").fill("2021-06")
    page.get_by_label("Title").fill("Linked: June 2021")
    page.get_by_label("Date").fill("2021-06-25")
    page.get_by_role("button", name="Create edition").click()
    page.wait_for_url(f"{base}/admin/editions/2021-06")
    failures += axe_problems(page, "editions-edition", artifacts)

    page.get_by_label("Preheader").fill("Training dates and a new survey.")
    page.get_by_label("Welcome text (Markdown)").fill("Welcome to the June edition.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()

    # The first article: the scaffold's, rewritten in the textarea, with a vague link.
    page.get_by_role("link", name="Your first article").click()
    page.wait_for_url(re.compile(r".*/articles/01-first-article\.md$"))
    page.get_by_label("Title", exact=True).fill("Training this summer")
    page.get_by_label("Button 1 address").fill("https://example.org/training")
    write_body(page, "Book your place: [click here](https://example.org/book).")
    problem = page.locator("#problems-body")
    problem.filter(has_text="click here").wait_for()  # the live check, beside the textarea
    assert (
        page.get_by_role("textbox", name="Text (Markdown)").get_attribute("aria-describedby")
        == "problems-body"
    )
    failures += axe_problems(page, "editions-article", artifacts)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert "click here" in page.locator("#problems-body").inner_text()  # still there after save
    write_body(page, "Book your place on [the summer training page](https://example.org/book).")
    expect(page.locator("#problems-body")).not_to_contain_text("click here", timeout=10_000)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()

    # The second article, added from the edition page and written with the toolbar's help.
    page.get_by_role("link", name="Back to the edition").click()
    page.get_by_label("New article's title").fill("Our practitioner survey")
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r".*/articles/02-our-practitioner-survey\.md$"))
    write_body(page, "Tell us what works. ")
    page.get_by_role("button", name="Bold").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    text = (settings.editions_dir / "2021-06" / "02-our-practitioner-survey.md").read_text()
    assert "Tell us what works. **bold text**" in text
    assert check_edition(settings, settings.editions_dir / "2021-06").ok

    # Check & preview: no errors, the phone preview, a proof that arrives.
    page.get_by_role("link", name="Check & preview").click()
    page.wait_for_url(f"{base}/admin/editions/2021-06/review")
    assert page.locator("#errors").count() == 0
    phone = page.get_by_title("The email at phone width, 375 pixels")
    assert phone.bounding_box()["width"] == pytest.approx(375, abs=2)
    assert "Training this summer" in phone.content_frame.locator("body").inner_text()
    failures += axe_problems(page, "editions-review", artifacts)
    page.get_by_label("Also send to").fill("colleague@example.org")
    page.get_by_role("button", name="Send a proof").click()
    page.get_by_role("status").filter(has_text="Proof sent to").wait_for()
    received = smtp.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == [
        "colleague@example.org",
        ROLE_EMAILS[Role.editor],
    ]
    assert all(r.message["Subject"].startswith("[Proof] ") for r in received)

    page.goto(f"{base}/admin/editions/")
    assert "Linked: June 2021" in page.locator("table.data").inner_text()
    failures += axe_problems(page, "editions-editions", artifacts)
    page.goto(f"{base}/admin/editions/2021-06/articles/01-first-article.md/revisions")
    failures += axe_problems(page, "editions-revisions", artifacts)
    page.get_by_role("link").filter(has_text=re.compile(r"\d{4}")).first.click()
    failures += axe_problems(page, "editions-revision", artifacts)
    assert failures == []
    assert page.console_errors == []
    page.context.close()


def test_unsaved_text_survives_a_reload_and_leaving_asks_first(
    browser: Any, site: tuple[str, Settings, SMTPServer]
) -> None:
    base, settings, _ = site
    folder = settings.editions_dir / "keep"
    folder.mkdir(parents=True)
    (folder / "edition.md").write_text("---\ntitle: Keep\ndate: 2021-07-01\n---\n\nHello.\n")
    (folder / "01-note.md").write_text("---\ntitle: Note\n---\n\nSaved text.\n")
    page = new_page(browser)
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    sign_in(page, base, Role.editor)
    url = f"{base}/admin/editions/keep/articles/01-note.md"
    page.goto(url)
    box = page.get_by_role("textbox", name="Text (Markdown)")
    box.click()
    box.press("End")
    box.press_sequentially(" Typed, not saved.", delay=5)
    page.reload()
    assert dialogs == ["beforeunload"]
    page.get_by_role("status").filter(has_text="unsaved changes from this browser").wait_for()
    assert box.input_value() == "Saved text. Typed, not saved."
    assert (folder / "01-note.md").read_text() == "---\ntitle: Note\n---\n\nSaved text.\n"
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert "Typed, not saved." in (folder / "01-note.md").read_text()
    page.reload()
    assert page.locator(".restored-note").is_hidden()
    page.context.close()


def test_articles_are_reordered_from_the_keyboard(
    browser: Any, site: tuple[str, Settings, SMTPServer]
) -> None:
    base, settings, _ = site
    folder = settings.editions_dir / "order"
    folder.mkdir(parents=True)
    (folder / "edition.md").write_text("---\ntitle: Order\ndate: 2021-08-01\n---\n\nHello.\n")
    (folder / "01-first.md").write_text("---\ntitle: First\n---\n\nOne.\n")
    (folder / "02-second.md").write_text("---\ntitle: Second\n---\n\nTwo.\n")
    page = new_page(browser)
    sign_in(page, base, Role.editor)
    page.goto(f"{base}/admin/editions/order")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move First down":
            break
    else:
        raise AssertionError("no 'Move First down' button reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/editions/order\?done=moved#article-first\.md$"))
    assert sorted(p.name for p in folder.glob("*.md")) == [
        "01-second.md",
        "02-first.md",
        "edition.md",
    ]
    assert page.locator("ol.articles li a").all_inner_texts() == ["Second", "First"]
    page.context.close()
