"""The console in headless Chromium: an administrator's journey, an editor's limits, and
axe-core with screenshots at 375 and 1280 px on every console page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from linked.accounts.links import LinkKind, password_url
from linked.accounts.models import Role
from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.settings import Settings, load_settings
from linked.subscribers import service as subscribers
from linked.web.app import create_app
from tests.fixtures.browser import no_horizontal_scroll
from tests.fixtures.console import PASSWORD, ROLE_EMAILS, add_accounts
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.project import make_project
from tests.fixtures.servers import free_port, serve

pytestmark = pytest.mark.browser

WIDTHS = {"mobile": (375, 812), "desktop": (1280, 900)}
PEOPLE = [
    ("alice.wood@example.org", "Alice Wood"),
    ("bob.stone@example.net", "Bob Stone"),
    ("carol.findme@example.org", "Carol Finch"),
    ("dan@example.com", None),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The whole app on a real uvicorn server, with accounts and a few subscribers."""
    root = make_project(tmp_path_factory.mktemp("console"), example=False)
    port = free_port()
    settings = load_settings(
        root,
        base_url=f"http://127.0.0.1:{port}",
        secret_key=TEST_SECRET,
        from_address="Linked <bulletin@example.org>",
        database_url=f"sqlite:///{root / 'console.db'}",
    )
    engine = make_engine(settings)
    upgrade(settings, engine)
    add_accounts(engine)
    with Session(engine) as session:
        for email, name in PEOPLE:
            subscribers.add(session, settings, email, name, consent_given_elsewhere=True)
        session.commit()
    engine.dispose()
    with serve(create_app(settings), port) as base:
        yield base, settings


def new_page(browser: Any, width: int = 1280, height: int = 900, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    return page


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/admin/")
    page.wait_for_url(re.compile(r".*/admin/login\?next=/admin/$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin/")


def test_an_administrator_finds_unsubscribes_imports_and_exports(
    browser: Any, site: tuple[str, Settings], tmp_path: Path
) -> None:
    base, _ = site
    page = new_page(browser)
    sign_in(page, base, ROLE_EMAILS[Role.admin])
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert "confirmed" in page.locator(".cards").first.inner_text()

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Subscribers").click()
    page.wait_for_url(f"{base}/admin/subscribers/")
    page.get_by_role("searchbox", name="Search").press_sequentially("findme", delay=30)
    # htmx filters as you type: only Carol is left, without pressing Find.
    page.locator("#results", has_text="matching “findme”").wait_for()
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="carol.findme@example.org").click()
    page.wait_for_url(re.compile(r".*/admin/subscribers/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "carol.findme@example.org"
    page.get_by_role("button", name="Unsubscribe them").click()
    page.get_by_role("status").filter(has_text="They are unsubscribed").wait_for()
    assert "unsubscribed" in page.locator("dl.record").inner_text()

    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,name\nnew.one@example.org,New One\nnot-an-address,Bad\n"
        "new.two@example.org,New Two\n@example.org,Also bad\n",
        encoding="utf-8",
    )
    page.goto(f"{base}/admin/subscribers/import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    report = page.locator("section", has_text="Imported people.csv")
    report.wait_for()
    assert "Added 2" in report.inner_text() and "skipped 2" in report.inner_text()
    problems = page.locator("table.data tbody tr").all_inner_texts()
    assert [p.split("\t")[0].strip() for p in problems] == ["line 3", "line 5"]

    page.goto(f"{base}/admin/subscribers/export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("email,name,status,consented_at,source")
    assert "new.two@example.org" in exported

    page.goto(f"{base}/admin/audit/")
    actions = page.locator('td[data-label="What"]').all_inner_texts()
    assert actions[:4] == [
        "subscriber.export",
        "subscriber.import",
        "subscriber.unsubscribe",
        "sign_in",
    ]
    assert page.console_errors == []
    page.context.close()


def test_an_editor_sees_no_erase_or_export_and_their_posts_are_refused(
    browser: Any, site: tuple[str, Settings]
) -> None:
    base, _ = site
    page = new_page(browser)
    sign_in(page, base, ROLE_EMAILS[Role.editor])
    page.goto(f"{base}/admin/subscribers/")
    assert page.get_by_role("link", name="Export").count() == 0
    assert page.get_by_role("link", name="Audit log").count() == 0
    page.get_by_role("link", name="alice.wood@example.org").click()
    page.wait_for_url(re.compile(r".*/admin/subscribers/\d+$"))
    assert page.get_by_role("button", name=re.compile("Unsubscribe|Download")).count() == 0
    assert page.get_by_role("link", name=re.compile("Erase")).count() == 0
    subscriber_url = page.url
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    for action, form in [
        ("erase", {"confirm": "alice.wood@example.org"}),
        ("unsubscribe", {}),
        ("data", {}),
    ]:
        response = page.request.post(f"{subscriber_url}/{action}", form={**form, "csrf": csrf})
        assert response.status == 403, action
    response = page.request.post(f"{base}/admin/subscribers/export", form={"csrf": csrf})
    assert response.status == 403
    page.reload()
    assert "confirmed" in page.locator("dl.record").inner_text()
    page.context.close()


def test_the_console_works_with_the_keyboard(browser: Any, site: tuple[str, Settings]) -> None:
    base, _ = site
    page = new_page(browser, 375, 812)
    page.goto(f"{base}/admin/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(ROLE_EMAILS[Role.sender])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/admin/")
    # Tab to "Subscribers" in the nav and follow it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Subscribers":
            break
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/admin/subscribers/")
    page.context.close()


def _pages(base: str, settings: Settings) -> dict[str, str]:
    engine = make_engine(settings)
    with Session(engine) as session:
        subscriber = subscribers.find(session, "bob.stone@example.net")
        assert subscriber is not None
        from linked.accounts import service

        account = service.get(session, ROLE_EMAILS[Role.editor])
        link = password_url(settings, account, LinkKind.invite)
    engine.dispose()
    return {
        "dashboard": "/admin/",
        "subscribers": "/admin/subscribers/?q=example",
        "subscriber": f"/admin/subscribers/{subscriber.id}",
        "add": "/admin/subscribers/new",
        "import": "/admin/subscribers/import",
        "export": "/admin/subscribers/export",
        "erase": f"/admin/subscribers/{subscriber.id}/erase",
        "audit": "/admin/audit/",
        "account": "/admin/account/",
        "users": "/admin/users/",
        "not-found": "/admin/subscribers/999999",
        "password": link.removeprefix(base),
    }


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_no_violations_on_any_console_page(
    browser: Any, site: tuple[str, Settings], artifacts: Path, width: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    base, settings = site
    w, h = WIDTHS[width]
    anonymous = new_page(browser, w, h)
    for name, path in [("login", "/admin/login"), ("forgot", "/admin/forgot")]:
        anonymous.goto(f"{base}{path}")
        anonymous.screenshot(path=str(artifacts / f"console-{name}-{w}.png"), full_page=True)
        results = Axe().run(anonymous)
        assert results.violations_count == 0, (name, results.generate_report())
        assert no_horizontal_scroll(anonymous), name
    anonymous.get_by_label("Email").fill("nobody@example.org")
    anonymous.context.close()

    page = new_page(browser, w, h)
    sign_in(page, base, ROLE_EMAILS[Role.admin])
    failures = []
    for name, path in _pages(base, settings).items():
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / f"console-{name}-{w}.png"), full_page=True)
        results = Axe().run(page)
        if results.violations_count:
            failures.append((name, results.generate_report()))
        if not no_horizontal_scroll(page):
            failures.append((name, "scrolls sideways"))
    assert failures == []
    page.context.close()
