"""``linked build``: the files a policy officer gets, checked by real outside tools when present."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from linked.build import build_edition
from linked.errors import EditionError
from linked.settings import Settings
from tests.fixtures.generated import generate_edition
from tests.fixtures.project import REPO, EditionFactory

HTML_VALIDATE = REPO / "node_modules" / ".bin" / "html-validate"
CANIEMAIL = REPO / "node_modules" / "caniemail" / "package.json"
NODE = shutil.which("node")
SPAMASSASSIN = shutil.which("spamassassin")


@pytest.fixture
def built(settings: Settings, example_edition: Path, tmp_path: Path) -> Path:
    build_edition(settings, example_edition, tmp_path / "out")
    return tmp_path / "out"


def test_writes_html_text_eml_and_images(built: Path, example_edition: Path) -> None:
    names = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    images = {
        p.relative_to(example_edition).as_posix() for p in (example_edition / "images").iterdir()
    }
    assert names == {"email.html", "email.txt", "email.eml", "logo.png"} | images
    assert "%%LINKED_" not in (built / "email.html").read_text()
    assert "Hello Sam Reader," in (built / "email.txt").read_text()


def test_email_html_shows_its_own_images_and_the_eml_keeps_absolute_urls(
    built: Path, settings: Settings
) -> None:
    html = BeautifulSoup((built / "email.html").read_text(), "html.parser")
    srcs = [str(img["src"]) for img in html.find_all("img")]
    assert srcs[0] == "logo.png" and "images/wood-report.png" in srcs
    for src in srcs:
        assert (built / src).is_file(), src  # every image is beside email.html
    # Links to pages stay absolute: they go to the archive, not to files.
    assert f"{settings.base_url}/editions/2021-05/" in {a.get("href") for a in html.find_all("a")}
    message = email.message_from_bytes(
        (built / "email.eml").read_bytes(), policy=email.policy.default
    )
    part = message.get_body(("html",))
    assert part is not None
    sent = BeautifulSoup(part.get_content(), "html.parser")
    sent_srcs = {str(img["src"]) for img in sent.find_all("img")}
    assert f"{settings.base_url}/editions/2021-05/images/wood-report.png" in sent_srcs
    assert all(src.startswith(f"{settings.base_url}/") for src in sent_srcs)


def test_eml_is_a_complete_strictly_valid_message(built: Path) -> None:
    message = email.message_from_bytes(
        (built / "email.eml").read_bytes(), policy=email.policy.strict
    )
    assert [d for part in message.walk() for d in part.defects] == []
    for header in (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert message[header], header
    assert message["To"] == "Sam Reader <reader@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_refuses_an_edition_with_errors(
    settings: Settings, write_edition: EditionFactory, tmp_path: Path
) -> None:
    folder = write_edition(
        {"edition.md": "---\ntitle: T\n---\n", "01-a.md": "---\ntitle: A\n---\n"}
    )
    with pytest.raises(EditionError, match="'date' is required"):
        build_edition(settings, folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(
    SPAMASSASSIN is None, reason="spamassassin is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("seed", [None, 3, 7])
def test_spamassassin_scores_at_most_zero(
    settings: Settings,
    example_edition: Path,
    write_edition: EditionFactory,
    tmp_path: Path,
    seed: int | None,
) -> None:
    folder = example_edition if seed is None else generate_edition(write_edition, seed)
    build_edition(settings, folder, tmp_path / "out")
    proc = subprocess.run(
        [str(SPAMASSASSIN), "-L", "-t"],
        input=(tmp_path / "out" / "email.eml").read_bytes(),
        capture_output=True,
        timeout=120,
        check=True,
    )
    report = proc.stdout.decode(errors="replace")
    status = next(line for line in report.splitlines() if line.startswith("X-Spam-Status:"))
    score = float(status.split("score=")[1].split()[0])
    assert score <= 0.0, report[report.find("Content analysis") :]


@pytest.mark.skipif(
    not HTML_VALIDATE.exists(), reason="html-validate is not installed (run `npm ci`)"
)
@pytest.mark.parametrize("seed", [None, 1, 5])
def test_html_validate_a11y_reports_no_errors(
    settings: Settings,
    example_edition: Path,
    write_edition: EditionFactory,
    tmp_path: Path,
    seed: int | None,
) -> None:
    folder = example_edition if seed is None else generate_edition(write_edition, seed)
    build_edition(settings, folder, tmp_path / "out")
    config = tmp_path / "htmlvalidate.json"
    config.write_text(json.dumps({"extends": ["html-validate:a11y"]}))
    proc = subprocess.run(
        [
            str(HTML_VALIDATE),
            "--config",
            str(config),
            "--formatter",
            "json",
            str(tmp_path / "out" / "email.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = json.loads(proc.stdout or "[]")
    errors = [m for r in results for m in r["messages"] if m["severity"] == 2]
    assert errors == [] and proc.returncode == 0, errors or proc.stderr


def test_every_img_has_alt_in_built_html(built: Path) -> None:
    soup = BeautifulSoup((built / "email.html").read_text(), "html.parser")
    assert all(img.get("alt") for img in soup.find_all("img"))


@pytest.mark.skipif(
    NODE is None or not CANIEMAIL.exists(), reason="caniemail is not installed (run `npm ci`)"
)
def test_caniemail_finds_no_in_page_anchor_links(built: Path) -> None:
    """Local anchors fail in Gmail on iOS, Outlook on iOS/Android, Yahoo and Samsung Mail."""
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(REPO / "tests" / "tools" / "caniemail.mjs")],
        input=(built / "email.html").read_bytes(),
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    findings = json.loads(proc.stdout)
    # caniemail judged the email for every client it knows (32)...
    assert [f for f in findings if f["type"] == "unchecked"] == []
    assert len({f["client"] for f in findings}) == 32
    # ...and found no link to an anchor in the same message, for any client.
    assert [f for f in findings if f["feature"] == "Local anchors"] == []
