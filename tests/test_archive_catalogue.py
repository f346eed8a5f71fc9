"""Which editions the archive publishes, and how broken ones are reported."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from linked.archive import is_published, load_catalogue
from linked.edition import load_edition
from tests.fixtures.project import add_edition, make_project

LONDON = ZoneInfo("Europe/London")


def _edition(tmp_path: Path, when: date, send_at: datetime | None = None):  # type: ignore[no-untyped-def]
    folder = add_edition(tmp_path, "e", "E", when, send_at=send_at)
    return load_edition(folder, LONDON)


def test_past_edition_is_published(tmp_path: Path) -> None:
    now = datetime(2021, 6, 1, 12, tzinfo=UTC)
    assert is_published(_edition(tmp_path, date(2021, 5, 28)), now, LONDON)


def test_edition_dated_in_the_future_is_not_published(tmp_path: Path) -> None:
    now = datetime(2021, 5, 27, 12, tzinfo=UTC)
    assert not is_published(_edition(tmp_path, date(2021, 5, 28)), now, LONDON)


def test_date_is_judged_in_the_configured_zone(tmp_path: Path) -> None:
    # 23:30 UTC on 27 May is already 00:30 on 28 May in London (BST).
    edition = _edition(tmp_path, date(2021, 5, 28))
    assert is_published(edition, datetime(2021, 5, 27, 23, 30, tzinfo=UTC), LONDON)
    assert not is_published(edition, datetime(2021, 5, 27, 22, 30, tzinfo=UTC), LONDON)


def test_send_at_still_ahead_keeps_an_edition_dated_today_unpublished(tmp_path: Path) -> None:
    edition = _edition(tmp_path, date(2021, 5, 28), send_at=datetime(2021, 5, 28, 17, 0))
    assert edition.send_at is not None and edition.send_at.tzinfo is not None
    # 15:00 BST is before the 17:00 BST send; 16:30 UTC is 17:30 BST, after it.
    assert not is_published(edition, datetime(2021, 5, 28, 14, tzinfo=UTC), LONDON)
    assert is_published(edition, datetime(2021, 5, 28, 16, 30, tzinfo=UTC), LONDON)


def test_broken_edition_is_skipped_and_reported_not_fatal(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    broken = root / "editions" / "2021-06"
    broken.mkdir()
    (broken / "edition.md").write_text("---\ntitle: [unclosed\n---\nHi\n")
    (broken / "01-a.md").write_text("---\ntitle: A\n---\nBody\n")
    cat = load_catalogue(root / "editions", LONDON, datetime(2030, 1, 1, tzinfo=UTC))
    assert [e.slug for e in cat.editions] == ["2021-05"]
    assert [s.folder.name for s in cat.skipped] == ["2021-06"]
    assert cat.skipped[0].problems
    assert cat.skipped[0].problems[0].path.name == "edition.md"


def test_newest_first_and_hidden_folders_ignored(tmp_path: Path) -> None:
    editions = make_project(tmp_path, example=False) / "editions"
    add_edition(editions, "a", "Older", date(2021, 1, 1), number=1)
    add_edition(editions, "b", "Newer", date(2021, 3, 1), number=2)
    add_edition(editions, "c", "Same day, later number", date(2021, 3, 1), number=3)
    (editions / "_drafts").mkdir()
    (editions / ".git").mkdir()
    cat = load_catalogue(editions, LONDON, datetime(2030, 1, 1, tzinfo=UTC))
    assert [e.slug for e in cat.editions] == ["c", "b", "a"]
    assert cat.skipped == ()


def test_unpublished_editions_are_listed_separately(tmp_path: Path) -> None:
    editions = make_project(tmp_path) / "editions"
    add_edition(editions, "2099-01", "Far future", date(2099, 1, 1))
    cat = load_catalogue(editions, LONDON, datetime.now(UTC))
    assert [e.slug for e in cat.editions] == ["2021-05"]
    assert [e.slug for e in cat.unpublished] == ["2099-01"]
    assert cat.find("2099-01") is None
