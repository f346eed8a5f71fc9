"""Editing an edition as files: fields in the documented format, add, delete and restore,
reorder, drafts — and what is written passes ``linked check``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from linked.authoring import articles, files
from linked.check import check_edition
from linked.edition import load_edition
from linked.errors import LinkedError
from linked.settings import Settings


def test_new_edition_is_the_scaffold_of_linked_new(project: Path) -> None:
    folder = articles.new_edition(project / "editions", "2021-06", "June", date(2021, 6, 2))
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-first-article.md",
        "edition.md",
        "images",
    ]
    with pytest.raises(LinkedError, match="already exists"):
        articles.new_edition(project / "editions", "2021-06", "June", date(2021, 6, 2))


def test_article_fields_round_trip_in_the_documented_format(
    settings: Settings, example_edition: Path
) -> None:
    path = example_edition / "01-wood-report.md"
    fields = articles.article_fields(path.read_text())
    assert fields is not None
    assert fields.image == "images/wood-report.png" and fields.links[0][0].startswith(
        "Read the Wood"
    )
    fields.title = "Title: with a colon and 'quotes' and \"more\""
    fields.section = "Coming to a place near you"
    fields.links.append(("Second button", "https://example.org/two"))
    files.write(path, articles.article_text(fields, path.read_text()), files.read(path).version)
    text = path.read_text()
    assert text.startswith("---\ntitle: ")
    edition = load_edition(example_edition)
    article = edition.articles[0]
    assert article.title == fields.title and article.section == "Coming to a place near you"
    assert [link.text for link in article.links][-1] == "Second button"
    assert check_edition(settings, example_edition).ok


def test_keys_the_form_does_not_show_are_kept(example_edition: Path) -> None:
    head = example_edition / "edition.md"
    head.write_text(head.read_text().replace("number: 3", "number: 3\nsend_at: 2021-05-28T09:00"))
    fields = articles.edition_fields(head.read_text())
    assert fields is not None and fields.date == "2021-05-28" and fields.number == "3"
    fields.title = "New title"
    text = articles.edition_text(fields, head.read_text())
    assert "send_at: 2021-05-28T09:00" in text and "title: New title" in text
    head.write_text(text)
    assert load_edition(example_edition).title == "New title"


def test_a_file_whose_front_matter_is_broken_has_no_fields() -> None:
    assert articles.article_fields("---\ntitle: [oops\n---\nBody") is None
    assert articles.article_fields("no front matter") is None


def test_add_delete_and_restore(example_edition: Path, settings: Settings) -> None:
    added = articles.add_article(example_edition, "A new thing!")
    assert added.name == "11-a-new-thing.md"
    assert not check_edition(settings, example_edition).ok  # the placeholder body is an error
    trashed = articles.delete_article(
        example_edition, added.name, now=datetime(2021, 5, 1, 9, 30, tzinfo=UTC)
    )
    assert trashed == "20210501T093000-11-a-new-thing.md"
    assert articles.trash(example_edition) == [(trashed, "11-a-new-thing.md")]
    assert check_edition(settings, example_edition).ok  # the loader ignores .trash/
    restored = articles.restore_article(example_edition, trashed)
    assert restored.name == "11-a-new-thing.md" and articles.trash(example_edition) == []


def test_a_restored_article_whose_number_was_taken_goes_to_the_end(example_edition: Path) -> None:
    trashed = articles.delete_article(example_edition, "02-practitioner-survey.md")
    articles.add_article(example_edition, "Filler")
    articles.move(example_edition, "11-filler.md", -1)  # renumbers: 02 is taken again
    restored = articles.restore_article(example_edition, trashed)
    assert restored.name == "11-practitioner-survey.md"


def test_delete_refuses_a_changed_file(example_edition: Path) -> None:
    path = example_edition / "06-prevent.md"
    version = files.read(path).version
    path.write_text(path.read_text() + "\nMore.\n")
    with pytest.raises(files.Conflict):
        articles.delete_article(example_edition, "06-prevent.md", version)
    assert path.exists()


def test_move_renumbers_and_keeps_keys(example_edition: Path) -> None:
    listed = articles.move(example_edition, "03-safeguarding-awareness-week.md", -1)
    assert [e.name for e in listed][:3] == [
        "01-wood-report.md",
        "02-safeguarding-awareness-week.md",
        "03-practitioner-survey.md",
    ]
    listed = articles.move(example_edition, "01-wood-report.md", -1)  # already first
    assert listed[0].name == "01-wood-report.md"
    assert load_edition(example_edition).articles[1].anchor == "safeguarding-awareness-week"


def test_drafts_are_listed_but_not_sent(example_edition: Path) -> None:
    name = articles.set_draft(example_edition, "10-training.md", True)
    assert name == "_10-training.md"
    assert [e.draft for e in articles.entries(example_edition)][-1] is True
    assert len(load_edition(example_edition).articles) == 9
    assert articles.set_draft(example_edition, name, False) == "10-training.md"


def test_names_from_urls_are_checked(example_edition: Path) -> None:
    for bad in ("../edition.md", "edition.md", "x.txt", ".hidden.md", "a/b.md"):
        with pytest.raises(LinkedError):
            articles.article_path(example_edition, bad)


def test_image_alts_come_from_front_matter_and_text_first_article_first(tmp_path: Path) -> None:
    folder = tmp_path / "2021-06"
    folder.mkdir()
    (folder / "edition.md").write_text("---\ntitle: June\n---\n")
    (folder / "01-a.md").write_text(
        "---\ntitle: A\nimage: images/cover.png\nimage_alt: 'A  report cover'\n---\n\n"
        "Text ![Two gear wheels](images/gears.png) and ![](images/bare.png).\n"
    )
    (folder / "02-b.md").write_text(
        "---\ntitle: B\nimage: images/cover.png\nimage_alt: Another description\n---\n\n"
        "![A chart](images/chart.png) ![elsewhere](https://example.org/x.png)\n"
    )
    (folder / "03-broken.md").write_text("---\ntitle: [unclosed\n---\n")
    assert articles.image_alts(folder) == {
        "cover.png": "A report cover",
        "gears.png": "Two gear wheels",
        "chart.png": "A chart",
    }
