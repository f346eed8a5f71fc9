"""The console's edition pages over HTTP (TestClient on the real app and database): roles,
CSRF, GET changes nothing, conflicts lose nothing, and what the console saves passes the check."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.accounts.models import AuditEvent, Role
from linked.authoring.files import edition_hash
from linked.authoring.models import Revision
from linked.check import check_edition
from linked.settings import Settings
from tests.fixtures.console import ROLE_EMAILS, sign_in
from tests.fixtures.project import run_linked


def _version(page: str) -> str:
    found = re.search(r'name="version" value="([0-9a-f]*)"', page)
    assert found, page
    return found.group(1)


def _article_form(page: str) -> dict[str, str]:
    """Every named input and textarea of the article form, as the browser would post it."""
    form = page[page.index('id="article-form"') :]
    form = form[: form.index("</form>")]
    values = {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[m.group(1)] = html.unescape(m.group(2))
    return values


@pytest.fixture
def signed_in(console: TestClient) -> tuple[TestClient, str]:
    return console, sign_in(console, ROLE_EMAILS[Role.editor])


def test_an_editor_creates_an_edition_that_appears_in_the_list(
    signed_in: tuple[TestClient, str], settings: Settings, engine: Engine
) -> None:
    client, csrf = signed_in
    response = client.post(
        "/admin/editions/new",
        data={"slug": "2021-06", "title": "Linked: June 2021", "date": "2021-06-25", "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/editions/2021-06"
    folder = settings.editions_dir / "2021-06"
    assert (folder / "edition.md").read_text().startswith('---\ntitle: "Linked: June 2021"')
    listing = client.get("/admin/editions/")
    assert "Linked: June 2021" in listing.text and "draft" in listing.text
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
        revisions = session.exec(select(Revision)).all()
    assert "edition.create" in actions
    assert {r.name for r in revisions} == {"edition.md", "01-first-article.md"}


def test_an_edition_made_on_disk_is_listed_as_it_is(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, _ = signed_in
    page = client.get("/admin/editions/")
    assert "Linked — May 2021" in page.text
    assert ">ready<" in page.text
    edition = client.get("/admin/editions/2021-05")
    assert "The Wood Report" in edition.text
    assert 'href="/admin/editions/2021-05/review"' in edition.text
    assert 'href="/admin/editions/2021-05/send"' in edition.text


def test_get_changes_nothing(signed_in: tuple[TestClient, str], example_edition: Path) -> None:
    client, _ = signed_in
    before = edition_hash(example_edition)
    for path in [
        "/admin/editions/",
        "/admin/editions/2021-05",
        "/admin/editions/2021-05/articles/01-wood-report.md",
        "/admin/editions/2021-05/articles/01-wood-report.md/revisions",
        "/admin/editions/2021-05/review",
    ]:
        assert client.get(path).status_code == 200, path
    assert edition_hash(example_edition) == before
    assert not (example_edition / ".trash").exists()


def test_posts_need_the_csrf_token_and_a_session(
    console: TestClient, example_edition: Path
) -> None:
    article = "/admin/editions/2021-05/articles/01-wood-report.md"
    before = edition_hash(example_edition)
    assert console.post(f"{article}/delete", data={}).status_code == 403
    sign_in(console, ROLE_EMAILS[Role.editor])
    assert console.post(f"{article}/delete", data={"csrf": "wrong"}).status_code == 403
    assert console.post("/admin/editions/new", data={"slug": "x", "title": "X"}).status_code == 403
    assert edition_hash(example_edition) == before


def test_every_role_may_edit(console: TestClient, example_edition: Path) -> None:
    for role in Role:
        console.cookies.clear()
        csrf = sign_in(console, ROLE_EMAILS[role])
        response = console.post(
            "/admin/editions/2021-05/articles/new",
            data={"title": f"Note from the {role.value}", "csrf": csrf},
            follow_redirects=False,
        )
        assert response.status_code == 303, role
    names = sorted(p.name for p in example_edition.glob("*.md"))
    assert "13-note-from-the-admin.md" in names


def test_a_saved_article_passes_linked_check(
    signed_in: tuple[TestClient, str], example_edition: Path, settings: Settings
) -> None:
    client, _ = signed_in
    url = "/admin/editions/2021-05/articles/02-practitioner-survey.md"
    form = _article_form(client.get(url).text)
    form.update(
        title='Our survey: "what works" for you',
        body="Tell us **what works**.\n\n- one\n- two",
        link_text_2="Take the survey",
        link_url_2="https://example.org/survey",
    )
    response = client.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    text = (example_edition / "02-practitioner-survey.md").read_text()
    assert text.startswith("---\ntitle: 'Our survey: \"what works\" for you'\n")
    report = check_edition(settings, example_edition)
    assert report.ok, report.errors
    article = report.edition.articles[1] if report.edition else None
    assert article and article.links[-1].text == "Take the survey"
    assert run_linked("check", "2021-05", cwd=settings.root)[0] == 0


def test_two_sessions_edit_one_article_the_second_save_is_refused_with_both_versions(
    console_app: object, example_edition: Path, engine: Engine
) -> None:
    url = "/admin/editions/2021-05/articles/06-prevent.md"
    with TestClient(console_app) as first, TestClient(console_app) as second:  # type: ignore[arg-type]
        sign_in(first, ROLE_EMAILS[Role.editor])
        sign_in(second, ROLE_EMAILS[Role.sender])
        form_one = _article_form(first.get(url).text)
        form_two = _article_form(second.get(url).text)
        form_one["body"] = "First person's words."
        assert first.post(url, data=form_one, follow_redirects=False).status_code == 303
        form_two["body"] = "Second person's words."
        refused = second.post(url, data=form_two)
        assert refused.status_code == 409
        assert "Not saved: this article changed meanwhile" in refused.text
        assert "First person&#39;s words." in refused.text  # theirs, shown
        assert "Second person&#39;s words.</textarea>" in refused.text  # mine, still in the form
        assert "First person's words." in (example_edition / "06-prevent.md").read_text()
        # Saving again from the conflict page is a deliberate choice: it carries the new version.
        again = _article_form(refused.text)
        assert second.post(url, data=again, follow_redirects=False).status_code == 303
    assert "Second person's words." in (example_edition / "06-prevent.md").read_text()
    with Session(engine) as session:
        saves = session.exec(select(Revision).where(Revision.key == "prevent.md")).all()
    assert [r.actor for r in saves] == ["editor@example.org", "sender@example.org"]


def test_a_file_changed_on_disk_is_caught_the_same_way(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, _ = signed_in
    url = "/admin/editions/2021-05/articles/06-prevent.md"
    form = _article_form(client.get(url).text)
    path = example_edition / "06-prevent.md"
    path.write_text(path.read_text().replace("Prevent", "PREVENT (edited in a text editor)", 1))
    form["body"] = "Typed in the console."
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert "PREVENT (edited in a text editor)" in refused.text
    assert "Typed in the console.</textarea>" in refused.text
    assert "PREVENT (edited in a text editor)" in path.read_text()


def test_the_edition_fields_conflict_too(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, csrf = signed_in
    page = client.get("/admin/editions/2021-05").text
    version = _version(page)
    head = example_edition / "edition.md"
    head.write_text(head.read_text().replace("number: 3", "number: 4"))
    data = {
        "csrf": csrf,
        "version": version,
        "title": "Mine",
        "date": "2021-05-28",
        "subject": "",
        "preheader": "P",
        "number": "3",
        "welcome": "Hello.",
    }
    refused = client.post("/admin/editions/2021-05", data=data)
    assert refused.status_code == 409 and "number: 4" in refused.text
    assert 'value="Mine"' in refused.text
    data["version"] = _version(refused.text)
    assert (
        client.post("/admin/editions/2021-05", data=data, follow_redirects=False).status_code == 303
    )
    assert head.read_text() == (
        "---\ntitle: Mine\ndate: '2021-05-28'\npreheader: P\nnumber: 3\n---\n\nHello.\n"
    )


def test_delete_restore_reorder_and_draft(
    signed_in: tuple[TestClient, str], example_edition: Path, settings: Settings
) -> None:
    client, csrf = signed_in
    base = "/admin/editions/2021-05/articles"
    client.post(f"{base}/02-practitioner-survey.md/delete", data={"csrf": csrf})
    assert not (example_edition / "02-practitioner-survey.md").exists()
    assert check_edition(settings, example_edition).ok  # the trash is not part of the edition
    page = client.get("/admin/editions/2021-05").text
    trashed = re.search(r"/trash/([^/]+)/restore", page)
    assert trashed
    client.post(f"/admin/editions/2021-05/trash/{trashed.group(1)}/restore", data={"csrf": csrf})
    assert (example_edition / "02-practitioner-survey.md").exists()
    response = client.post(
        f"{base}/03-safeguarding-awareness-week.md/move",
        data={"csrf": csrf, "direction": "up"},
        follow_redirects=False,
    )
    assert response.headers["location"].endswith("#article-safeguarding-awareness-week.md")
    assert (example_edition / "02-safeguarding-awareness-week.md").exists()
    assert (example_edition / "03-practitioner-survey.md").exists()
    client.post(f"{base}/10-training.md/draft", data={"csrf": csrf, "draft": "1"})
    assert (example_edition / "_10-training.md").exists()
    report = check_edition(settings, example_edition)
    assert report.edition and len(report.edition.articles) == 9


def test_the_preview_saves_nothing_and_shows_problems_by_their_field(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, csrf = signed_in
    url = "/admin/editions/2021-05/articles/06-prevent.md"
    form = _article_form(client.get(url).text)
    before = edition_hash(example_edition)
    form["body"] = "Read [click here](https://example.org/prevent)."
    response = client.post(f"{url}/preview", data=form, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert edition_hash(example_edition) == before
    body = response.text[response.text.index('id="problems-body"') :]
    assert "click here" in body[: body.index("</div>")]
    assert 'srcdoc="' in response.text


def test_revisions_show_a_diff_and_restore(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, csrf = signed_in
    url = "/admin/editions/2021-05/articles/06-prevent.md"
    for words in ("Version one.", "Version two."):
        form = _article_form(client.get(url).text)
        form["body"] = words
        client.post(url, data=form)
    listing = client.get(f"{url}/revisions").text
    ids = re.findall(r"/revisions/(\d+)", listing)
    assert len(ids) == 2
    newest, oldest = ids
    diff = client.get(f"{url}/revisions/{newest}").text
    assert 'class="diff-remove">-Version one.' in diff and 'class="diff-add">+Version two.' in diff
    version = _version(client.get(f"{url}/revisions/{oldest}").text)
    client.post(f"{url}/revisions/{oldest}/restore", data={"csrf": csrf, "version": version})
    assert "Version one." in (example_edition / "06-prevent.md").read_text()
    assert len(re.findall(r"/revisions/(\d+)", client.get(f"{url}/revisions").text)) == 3


def test_a_proof_goes_to_the_signed_in_person_and_more_addresses(
    signed_in: tuple[TestClient, str], example_edition: Path, settings: Settings
) -> None:
    client, csrf = signed_in
    response = client.post(
        "/admin/editions/2021-05/proof",
        data={"csrf": csrf, "extra": "colleague@example.org\nboss@example.org"},
    )
    assert response.status_code == 200, response.text
    assert (
        "Proof sent to editor@example.org, colleague@example.org, boss@example.org" in response.text
    )
    sent = sorted((settings.root / "outbox").glob("*.eml"))
    assert len(sent) == 3
    assert "Subject: [Proof] Linked, May 2021" in sent[0].read_text()
    too_many = client.post(
        "/admin/editions/2021-05/proof",
        data={"csrf": csrf, "extra": " ".join(f"p{i}@example.org" for i in range(6))},
    )
    assert too_many.status_code == 422 and "at most 5" in too_many.text


def test_a_hand_edited_file_that_is_not_fields_is_shown_as_it_is(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, _ = signed_in
    broken = "---\ntitle: [unclosed\n---\n\nBody.\n"
    (example_edition / "06-prevent.md").write_text(broken)
    page = client.get("/admin/editions/2021-05/articles/06-prevent.md").text
    assert "title: [unclosed" in page and 'name="raw"' in page
    review = client.get("/admin/editions/2021-05/review").text
    assert 'href="/admin/editions/2021-05/articles/06-prevent.md#field-' in review


def test_edition_md_has_revisions_but_no_article_editor(
    signed_in: tuple[TestClient, str], example_edition: Path
) -> None:
    client, csrf = signed_in
    page = client.get("/admin/editions/2021-05").text
    data = {
        "csrf": csrf,
        "version": _version(page),
        "title": "Linked — May 2021",
        "date": "2021-05-28",
        "subject": "",
        "preheader": "P",
        "number": "3",
        "welcome": "Hi.",
    }
    assert (
        client.post("/admin/editions/2021-05", data=data, follow_redirects=False).status_code == 303
    )
    listing = client.get("/admin/editions/2021-05/articles/edition.md/revisions")
    assert listing.status_code == 200 and "edition.md" in listing.text
    assert client.get("/admin/editions/2021-05/articles/edition.md").status_code == 404
    article = {"csrf": csrf, "version": "", "title": "X", "body": "Y"}
    assert (
        client.post("/admin/editions/2021-05/articles/edition.md", data=article).status_code == 404
    )
    assert client.get("/admin/editions/nope").status_code == 404
    assert client.get("/admin/editions/2021-05/articles/..%2Fedition.md").status_code == 404
