"""The public's journey end to end, in headless Chromium against the real app (``create_app``)
on uvicorn, with mail caught by a real SMTP server (aiosmtpd):

archive index → an edition → search finds an article → subscribe form → the confirmation
mail arrives → its link shows a button (GET changes nothing) → confirm → the welcome
mail's unsubscribe link works. Screenshots at 375 and 1280 px; axe-core on each page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from linked.db.engine import make_engine
from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.models import SubscriberStatus
from linked.web.app import create_app
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.project import EXAMPLE
from tests.fixtures.servers import free_port, serve
from tests.fixtures.smtp import SMTPServer

pytestmark = pytest.mark.browser

READER = "jo.reader@example.org"


@pytest.fixture
def site(
    make_settings: Callable[..., Settings], smtp_server: SMTPServer
) -> Iterator[tuple[str, Settings]]:
    port = free_port()
    settings = make_settings(base_url=f"http://127.0.0.1:{port}", smtp_url=smtp_server.url)
    shutil.copytree(EXAMPLE, settings.editions_dir / EXAMPLE.name)
    with serve(create_app(settings), port) as base:
        yield base, settings


def status_of(settings: Settings, email: str) -> SubscriberStatus | None:
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            found = service.find(session, email)
            return found.status if found else None
    finally:
        engine.dispose()


def link_in(message: EmailMessage, path: str) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    match = re.search(rf"https?://\S+{path}\S+", str(part.get_content()))
    assert match, f"no {path} link in the mail"
    return match.group(0)


def check_page(page: Any, name: str, artifacts: Path) -> None:
    """No horizontal scroll at 375 or 1280 px, a screenshot of each, and no axe violations."""
    from axe_playwright_python.sync_playwright import Axe

    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert no_horizontal_scroll(page), f"{name} scrolls sideways at {width} px"
        page.screenshot(path=str(artifacts / f"journey-{name}-{width}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_public_journey(
    browser: Any, site: tuple[str, Settings], smtp_server: SMTPServer, artifacts: Path
) -> None:
    base, settings = site
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # The archive index lists the edition; follow it.
    page.goto(f"{base}/")
    check_page(page, "index", artifacts)
    page.get_by_role("link", name="Linked — May 2021").first.click()
    page.wait_for_url(f"{base}/editions/2021-05/index.html")
    assert page.get_by_role(
        "heading", name="DSCP practitioner survey opens on 1 June 2021"
    ).is_visible()
    assert READER not in page.content()

    # Search finds an article, and its result leads to it.
    page.goto(f"{base}/search.html")
    page.get_by_role("searchbox").fill("survey")
    result = page.get_by_role("link", name=re.compile("practitioner survey", re.I)).first
    result.wait_for()
    result.click()
    page.wait_for_url(re.compile(r"/editions/2021-05/index.html#practitioner-survey$"))

    # Subscribe with the form on the page.
    page.get_by_label("Email address").fill(READER)
    page.get_by_label("Your name").fill("Jo <Reader>")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{base}/subscribe")
    assert "Check your inbox" in page.content()
    check_page(page, "check-inbox", artifacts)
    assert status_of(settings, READER) == SubscriberStatus.pending

    # The confirmation mail arrives; its link shows a button and changes nothing by itself.
    confirmation = smtp_server.wait_for(1)[0]
    assert confirmation.recipients == (READER,)
    page.goto(link_in(confirmation.message, "/confirm/"))
    check_page(page, "confirm", artifacts)
    assert status_of(settings, READER) == SubscriberStatus.pending
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state()
    assert status_of(settings, READER) == SubscriberStatus.confirmed
    check_page(page, "confirmed", artifacts)

    # The welcome mail's unsubscribe link works the same way: a button, then done.
    welcome = smtp_server.wait_for(2)[1]
    assert "Jo &lt;Reader&gt;" not in str(welcome.message.get_body(("plain",)).get_content())
    page.goto(link_in(welcome.message, "/unsubscribe/"))
    check_page(page, "unsubscribe", artifacts)
    assert status_of(settings, READER) == SubscriberStatus.confirmed
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state()
    assert status_of(settings, READER) == SubscriberStatus.unsubscribed
    check_page(page, "unsubscribed", artifacts)
    page.context.close()


def test_subscribe_page_and_its_error(
    browser: Any, site: tuple[str, Settings], artifacts: Path
) -> None:
    """The subscribe page in the site's layout and stylesheet; a mistake is shown in words."""
    base, _ = site
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/subscribe")
    nav = page.get_by_role("navigation", name="Main")
    # The archive's stylesheet, served by the live app, styles this page too.
    assert nav.evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(29, 53, 87)"
    assert nav.get_by_role("link", name="Subscribe").get_attribute("aria-current") == "page"
    check_page(page, "subscribe", artifacts)

    page.get_by_label("Email address").fill("jo.reader")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    check_page(page, "subscribe-error", artifacts)
    page.context.close()
