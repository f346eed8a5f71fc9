"""The sending journey in headless Chromium on ``linked serve``'s app (web, scheduler and
delivery worker) with a real SMTP server: a photo with GPS EXIF uploaded with its alt text,
approved, voided by a change, approved again, scheduled, delivered once to each confirmed
subscriber, followed to "done"; the image the mail points to has no EXIF. axe-core finds
no violations on any page of it at 375 and 1280 px."""

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

from linked.accounts.models import Role
from linked.server import build_app
from tests.fixtures.browser import accessible, new_page, sign_in
from tests.fixtures.console import console_project, its_time_has_come
from tests.fixtures.photos import gps_photo, has_gps
from tests.fixtures.project import make_project
from tests.fixtures.servers import free_port, serve
from tests.fixtures.smtp import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EDITION = "2021-05"
ALT = "Two practitioners talking at a table"
READERS = ["ann@example.net", "ben@example.net", "cat@example.org"]


def test_upload_approve_void_approve_schedule_and_deliver_once(
    browser: Any, smtp_server: SMTPServer, tmp_path: Path, artifacts: Path
) -> None:
    root = make_project(tmp_path / "project")
    port = free_port()
    settings = console_project(
        root,
        port,
        smtp_server.url,
        readers=READERS,
        pending=["pending@example.org"],  # not confirmed: no copy
        send_requires_approval=True,
        worker_poll_seconds=0.5,
    )
    folder = settings.editions_dir / EDITION

    with serve(build_app(settings), port) as base:
        # The editor uploads a photo that says where it was taken, with its alt text.
        editor = new_page(browser)
        images_url = f"/admin/editions/{EDITION}/images"
        sign_in(editor, base, Role.editor, images_url)
        accessible(editor, "send-images", artifacts)
        photo = tmp_path / "IMG_0001.JPG"
        photo.write_bytes(gps_photo())
        assert has_gps(photo.read_bytes())
        editor.get_by_role("button", name="Upload image").click()
        editor.get_by_text("Describe the image for people who cannot see it.").wait_for()
        accessible(editor, "send-images-error", artifacts)
        # Chromium logs the 422 of that refused form; nothing else may be logged.
        assert [e for e in editor.console_errors if "422" not in e] == []
        editor.console_errors.clear()
        editor.get_by_label("Image file").set_input_files(str(photo))
        editor.get_by_label("Alt text").fill(ALT)
        editor.get_by_role("button", name="Upload image").click()
        editor.get_by_role("status").filter(has_text="img-0001.jpg was added").wait_for()
        assert f"![{ALT}](images/img-0001.jpg)" in editor.locator("table.data").inner_text()
        accessible(editor, "send-images-added", artifacts)
        # The article uses it (the article editor writes the same front matter).
        article = folder / "01-wood-report.md"
        text = article.read_text(encoding="utf-8")
        text = text.replace("image: images/wood-report.png", "image: images/img-0001.jpg")
        text = re.sub(r'image_alt: ".*"', f'image_alt: "{ALT}"', text, count=1)
        article.write_text(text, encoding="utf-8")
        # The editor may look at the send page, but has no controls on it.
        editor.goto(f"{base}/admin/editions/{EDITION}/send")
        assert (
            editor.get_by_role("button", name=re.compile("Approve|Schedule|Send now")).count() == 0
        )
        accessible(editor, "send-send-editor", artifacts)

        # A sender approves.
        sender = new_page(browser)
        send_url = f"/admin/editions/{EDITION}/send"
        sign_in(sender, base, Role.sender, send_url)
        assert sender.locator("#approval-state").inner_text() == "Not approved yet."
        accessible(sender, "send-send-unapproved", artifacts)
        sender.get_by_role("button", name="Approve this edition as it is").click()
        sender.get_by_role("status").filter(has_text="Approved.").wait_for()
        assert "exactly as the edition is now" in sender.locator("#approval-state").inner_text()
        accessible(sender, "send-send-approved", artifacts)

        # The editor's next change voids it, and the page says so.
        second = tmp_path / "second.png"
        Image.new("RGB", (40, 30), (10, 120, 90)).save(second)
        editor.goto(f"{base}{images_url}")
        editor.get_by_label("Image file").set_input_files(str(second))
        editor.get_by_label("Alt text").fill("A green square")
        editor.get_by_role("button", name="Upload image").click()
        editor.get_by_role("status").filter(has_text="second.png was added").wait_for()
        sender.reload()
        assert "no longer holds" in sender.locator("#approval-state").inner_text()
        assert sender.get_by_role("button", name="Schedule").count() == 0
        accessible(sender, "send-send-voided", artifacts)

        # Approved again, and scheduled a minute (or two) ahead, in the zone shown.
        sender.get_by_role("button", name="Approve this edition as it is").click()
        sender.get_by_role("status").filter(has_text="Approved.").wait_for()
        soon = (datetime.now(UTC) + timedelta(minutes=2)).astimezone(settings.zone)
        assert sender.get_by_label(f"Time ({settings.timezone})").count() == 1
        sender.get_by_label("Date").fill(soon.strftime("%Y-%m-%d"))
        sender.get_by_label(f"Time ({settings.timezone})").fill(soon.strftime("%H:%M"))
        sender.get_by_role("button", name="Schedule").click()
        sender.get_by_role("status").filter(has_text="Scheduled.").wait_for()
        shown = sender.locator("#schedule-state").inner_text()
        assert soon.strftime("%H:%M") in shown and "Europe/London" in shown
        accessible(sender, "send-send-scheduled", artifacts)
        its_time_has_come(settings, EDITION)

        received = smtp_server.wait_for(len(READERS), timeout=60)
        time.sleep(2)  # nothing more arrives
        copies = Counter(r for m in smtp_server.messages for r in m.recipients)
        assert copies == Counter(READERS)
        assert len(received) == len(READERS)

        # The send's page shows it done, live.
        sender.reload()
        sender.get_by_role("link", name=f"follow the send of {EDITION}").click()
        sender.wait_for_url(re.compile(r".*/admin/sends/\d+$"))
        sender.locator("#send-status").filter(has_text="Done").wait_for(timeout=30_000)
        assert sender.locator("#count-sent").inner_text() == str(len(READERS))
        accessible(sender, "send-send-done", artifacts)
        sender.get_by_role("link", name="The email as it was sent").click()
        sender.get_by_role("heading", name=f"{EDITION} as it was sent").wait_for()
        accessible(sender, "send-send-content", artifacts)

        # The image the mail points to has no EXIF data at all.
        html = received[0].message.get_body(("html",))
        assert html is not None
        sources = re.findall(r'src="([^"]*img-0001\.jpg)"', html.get_content())
        assert sources and sources[0].startswith(base)
        with urllib.request.urlopen(sources[0]) as response:
            served = response.read()
        assert not has_gps(served)
        with Image.open(io.BytesIO(served)) as image:
            assert len(image.getexif()) == 0 and "exif" not in image.info
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert editor.console_errors == [] and sender.console_errors == []
        editor.context.close()
        sender.context.close()


def test_send_now_and_the_progress_updates_live_without_reloading(
    browser: Any, smtp_server: SMTPServer, tmp_path: Path, artifacts: Path
) -> None:
    root = make_project(tmp_path / "project")
    port = free_port()
    readers = [f"reader{i}@example.net" for i in range(6)]
    settings = console_project(
        root,
        port,
        smtp_server.url,
        readers=readers,
        send_requires_approval=True,
        worker_poll_seconds=0.5,
        rate_per_second=2,  # six messages take about three seconds: time to watch
    )

    with serve(build_app(settings), port) as base:
        sender = new_page(browser)
        sign_in(sender, base, Role.sender, f"/admin/editions/{EDITION}/send")
        sender.get_by_role("button", name="Approve this edition as it is").click()
        sender.get_by_role("status").filter(has_text="Approved.").wait_for()
        sender.get_by_label("Type 6 to confirm").fill("5")
        sender.get_by_role("button", name="Send now").click()
        sender.get_by_text("Type 6, the number of people it goes to").first.wait_for()
        assert smtp_server.messages == []
        sender.console_errors.clear()  # the refused form's 422
        sender.get_by_label("Type 6 to confirm").fill("6")
        sender.get_by_role("button", name="Send now").click()
        sender.wait_for_url(re.compile(r".*/admin/sends/\d+$"))
        first = int(sender.locator("#count-sent").inner_text())
        sender.evaluate("window.stillTheSamePage = true")
        accessible(sender, "send-send-running", artifacts)
        sender.locator("#send-status").filter(has_text="Done").wait_for(timeout=30_000)
        assert sender.evaluate("window.stillTheSamePage === true")  # updated, not reloaded
        assert first < len(readers)
        assert sender.locator("#count-sent").inner_text() == str(len(readers))
        smtp_server.wait_for(len(readers), timeout=10)
        time.sleep(1)
        assert Counter(r for m in smtp_server.messages for r in m.recipients) == Counter(readers)
        assert sender.console_errors == []
        sender.context.close()
