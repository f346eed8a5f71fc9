"""``linked archive build`` marks an edition corrected after its send, like the live archive,
and builds without a database when there is none yet."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from linked.accounts.audit import Actor
from linked.delivery import service as delivery
from linked.reports.publish import build_public_archive
from linked.settings import Settings
from tests.fixtures.project import run_linked
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition


def _page(out: Path) -> str:
    return (out / "editions" / EDITION / "index.html").read_text(encoding="utf-8")


def test_the_static_archive_says_corrected_on_after_a_change(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    folder = copy_edition(settings)
    add_subscribers(engine, 2)
    delivery.start_detached(settings, engine, folder, confirm=None, actor=Actor.cli())
    build_public_archive(settings, tmp_path / "before")
    assert "Corrected on" not in _page(tmp_path / "before")
    article = sorted(folder.glob("0*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\nA typo fixed.\n", "utf-8")
    build_public_archive(settings, tmp_path / "after")
    assert '<p class="meta corrected">Corrected on' in _page(tmp_path / "after")


def test_without_a_database_the_archive_builds_and_none_is_made(
    project: Path, example_edition: Path
) -> None:
    code, out, err = run_linked("archive", "build", "--out", "site", cwd=project)
    assert code == 0, err
    assert "Wrote 1 edition(s)" in out
    assert (project / "site" / "editions" / example_edition.name / "index.html").is_file()
    assert not (project / "subscribers" / "linked.db").exists()
