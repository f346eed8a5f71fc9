"""Issue 12's whole journey through the console, in headless Chromium on ``linked serve``'s app
(web, scheduler and delivery worker) with a real SMTP server and four eyes on.

An editor signs in, creates an edition, writes two articles in the textarea, uploads a photo
carrying GPS EXIF with its alt text and pastes the Markdown the image page shows into an
article, sees a vague link text flagged beside the field and fixes it, sees the phone
preview, sends a proof that arrives, signs out. A sender approves; the editor's next change
voids the approval and the send page says so; the sender approves again and schedules the
send a minute ahead (the scheduler's injected clock makes it due: no minute-long wait). Each
confirmed subscriber receives one copy, the send's page shows it done, and the image the mail
points to carries no EXIF. Every page of the journey: axe-core 0 violations and screenshots
at 375 and 1280 px.
"""

from __future__ import annotations

import io
import re
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from linked.accounts.models import Role
from linked.server import build_app
from tests.fixtures.browser import accessible, new_page, no_horizontal_scroll, sign_in, sign_out
from tests.fixtures.console import ROLE_EMAILS, console_project, its_time_has_come
from tests.fixtures.photos import gps_photo, has_gps
from tests.fixtures.project import make_project
from tests.fixtures.servers import free_port, serve
from tests.fixtures.smtp import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "2021-06"
ALT = "Two practitioners talking at a table"
READERS = ["ann@example.net", "ben@example.net", "cat@example.org"]


def write_body(page: Any, text: str) -> None:
    """Type ``text`` into the article's Markdown textarea, as a person would."""
    box = page.get_by_role("textbox", name="Text (Markdown)")
    box.fill("")
    box.press_sequentially(text, delay=2)


def save(page: Any) -> None:
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()


def test_the_whole_journey_from_sign_in_to_done(
    browser: Any, smtp_server: SMTPServer, tmp_path: Path, artifacts: Path, database_url: str
) -> None:
    root = make_project(tmp_path / "project", example=False)
    port = free_port()
    settings = console_project(
        root,
        port,
        smtp_server.url,
        database_url=database_url,
        readers=READERS,
        pending=["pending@example.org"],  # not confirmed: no copy
        send_requires_approval=True,
        worker_poll_seconds=0.5,
    )
    edition = f"/admin/editions/{SLUG}"

    def shot(page: Any, name: str) -> None:
        accessible(page, f"journey-{name}", artifacts)

    with serve(build_app(settings), port) as base:
        page = new_page(browser)

        # The editor signs in and creates the edition.
        page.goto(f"{base}/admin/")
        page.wait_for_url(re.compile(r".*/admin/login.*"))
        shot(page, "login")
        sign_in(page, base, Role.editor)
        shot(page, "dashboard")
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Editions").click()
        page.wait_for_url(f"{base}/admin/editions/")
        shot(page, "editions")
        page.get_by_label("Folder name").fill(SLUG)
        page.get_by_label("Title").fill("Linked: June 2021")
        page.get_by_label("Date").fill("2021-06-25")
        page.get_by_role("button", name="Create edition").click()
        page.wait_for_url(f"{base}{edition}")
        shot(page, "edition")
        page.get_by_label("Preheader").fill("Training dates and a new survey.")
        page.get_by_label("Welcome text (Markdown)").fill("Welcome to the June edition.")
        save(page)

        # Two articles, written in the textarea.
        page.get_by_role("link", name="Your first article").click()
        page.wait_for_url(re.compile(r".*/articles/01-first-article\.md$"))
        page.get_by_label("Title", exact=True).fill("Training this summer")
        page.get_by_label("Button 1 address").fill("https://example.org/training")
        write_body(page, "Places are open for the summer training days.")
        save(page)
        shot(page, "article")
        page.get_by_role("link", name="Back to the edition").click()
        page.get_by_label("New article's title").fill("Our practitioner survey")
        page.get_by_role("button", name="Add article").click()
        page.wait_for_url(re.compile(r".*/articles/02-our-practitioner-survey\.md$"))
        write_body(page, "Tell us what works in your practice.")
        save(page)

        # A photo that says where it was taken, uploaded with its alt text.
        page.get_by_role("link", name="Back to the edition").click()
        page.get_by_role("navigation", name=f"Edition {SLUG}").get_by_role(
            "link", name="Images"
        ).click()
        page.wait_for_url(f"{base}{edition}/images")
        shot(page, "images")
        photo = tmp_path / "IMG_0001.JPG"
        photo.write_bytes(gps_photo())
        assert has_gps(photo.read_bytes())
        page.get_by_label("Image file").set_input_files(str(photo))
        page.get_by_label("Alt text").fill(ALT)
        page.get_by_role("button", name="Upload image").click()
        page.get_by_role("status").filter(has_text="img-0001.jpg was added").wait_for()
        shot(page, "images-added")
        snippet = page.locator("table.data code").first.inner_text()
        assert snippet == f"![{ALT}](images/img-0001.jpg)"

        # The first article uses it, with a vague link text the check flags beside the field.
        page.get_by_role("navigation", name=f"Edition {SLUG}").get_by_role(
            "link", name="Articles"
        ).click()
        page.get_by_role("link", name="Training this summer").click()
        write_body(
            page,
            f"Places are open for the summer training days.\n\n{snippet}\n\n"
            "Book your place: [click here](https://example.org/book).",
        )
        page.locator("#problems-body").filter(has_text="click here").wait_for()
        body = page.get_by_role("textbox", name="Text (Markdown)")
        assert body.get_attribute("aria-describedby") == "problems-body"
        shot(page, "article-problem")
        save(page)
        assert "click here" in page.locator("#problems-body").inner_text()  # saved, still flagged
        write_body(
            page,
            f"Places are open for the summer training days.\n\n{snippet}\n\n"
            "Book your place on [the summer training page](https://example.org/book).",
        )
        expect(page.locator("#problems-body")).not_to_contain_text("click here", timeout=10_000)
        save(page)
        shot(page, "article-fixed")

        # Check & preview: no errors, the phone preview, a proof that arrives.
        page.get_by_role("link", name="Back to the edition").click()
        page.get_by_role("link", name="Check & preview").click()
        page.wait_for_url(f"{base}{edition}/review")
        assert page.locator("#errors").count() == 0, page.locator("main").inner_text()
        phone = page.get_by_title("The email at phone width, 375 pixels")
        assert phone.bounding_box()["width"] == pytest.approx(375, abs=2)
        in_phone = phone.content_frame.locator("body")
        assert "Training this summer" in in_phone.inner_text()
        assert in_phone.get_by_role("img", name=ALT).count() == 1
        email_at_375 = phone.element_handle().content_frame()
        assert no_horizontal_scroll(email_at_375), "the email scrolls sideways on a phone"
        shot(page, "review")
        page.get_by_role("button", name="Send a proof").click()
        page.get_by_role("status").filter(has_text="Proof sent to").wait_for()
        shot(page, "review-proof")
        proof = smtp_server.wait_for(1)[0]
        assert proof.recipients == (ROLE_EMAILS[Role.editor],)
        assert proof.message["Subject"].startswith("[Proof] ")
        proofs = len(smtp_server.messages)
        sign_out(page, base)

        # A sender approves.
        send = f"{edition}/send"
        sign_in(page, base, Role.sender, send)
        assert page.locator("#approval-state").inner_text() == "Not approved yet."
        shot(page, "send-unapproved")
        page.get_by_role("button", name="Approve this edition as it is").click()
        page.get_by_role("status").filter(has_text="Approved.").wait_for()
        assert "exactly as the edition is now" in page.locator("#approval-state").inner_text()
        shot(page, "send-approved")
        sign_out(page, base)

        # The editor's next change voids the approval.
        sign_in(page, base, Role.editor, f"{edition}/articles/02-our-practitioner-survey.md")
        write_body(page, "Tell us what works in your practice, and what does not.")
        save(page)
        page.goto(f"{base}{send}")
        assert "no longer holds" in page.locator("#approval-state").inner_text()
        assert page.get_by_role("button", name=re.compile("Approve|Schedule|Send now")).count() == 0
        shot(page, "send-editor")
        sign_out(page, base)

        # The sender sees it, approves again and schedules the send a minute ahead.
        sign_in(page, base, Role.sender, send)
        assert "no longer holds" in page.locator("#approval-state").inner_text()
        assert page.get_by_role("button", name="Schedule").count() == 0
        shot(page, "send-voided")
        page.get_by_role("button", name="Approve this edition as it is").click()
        page.get_by_role("status").filter(has_text="Approved.").wait_for()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        soon = (now + timedelta(minutes=2)).astimezone(settings.zone)  # 60-120 s ahead
        page.get_by_label("Date").fill(soon.strftime("%Y-%m-%d"))
        page.get_by_label(f"Time ({settings.timezone})").fill(soon.strftime("%H:%M"))
        page.get_by_role("button", name="Schedule").click()
        page.get_by_role("status").filter(has_text="Scheduled.").wait_for()
        assert soon.strftime("%H:%M") in page.locator("#schedule-state").inner_text()
        shot(page, "send-scheduled")
        its_time_has_come(settings, SLUG)

        # Every confirmed subscriber receives exactly one copy.
        smtp_server.wait_for(proofs + len(READERS), timeout=60)
        time.sleep(2)  # nothing more arrives
        sent = smtp_server.messages[proofs:]
        assert Counter(r for m in sent for r in m.recipients) == Counter(READERS)
        assert all(not m.message["Subject"].startswith("[Proof]") for m in sent)
        html = sent[0].message.get_body(("html",))
        assert html is not None
        content = html.get_content()
        assert "the summer training page" in content and "click here" not in content
        assert "and what does not" in content  # the change made after the first approval

        # The send's page shows it done.
        page.reload()
        page.get_by_role("link", name=f"follow the send of {SLUG}").click()
        page.wait_for_url(re.compile(r".*/admin/sends/\d+$"))
        page.locator("#send-status").filter(has_text="Done").wait_for(timeout=30_000)
        assert page.locator("#count-sent").inner_text() == str(len(READERS))
        shot(page, "send-done")
        page.get_by_role("link", name="The email as it was sent").click()
        page.get_by_role("heading", name=f"{SLUG} as it was sent").wait_for()
        shot(page, "send-content")

        # The image the subscribers' mail points to has no EXIF data.
        sources = re.findall(r'src="([^"]*img-0001\.jpg)"', content)
        assert sources and sources[0].startswith(base), sources
        with urllib.request.urlopen(sources[0]) as response:
            served = response.read()
        with Image.open(io.BytesIO(served)) as image:
            assert len(image.getexif()) == 0 and "exif" not in image.info
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not has_gps(served)
        assert page.console_errors == []
        page.context.close()
