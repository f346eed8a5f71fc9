"""The edition loader: the file-format contract and a clear message for every malformed input."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from linked.edition import load_edition, scaffold_edition
from linked.edition.scaffold import default_date
from linked.errors import EditionError, LinkedError
from tests.fixtures.project import EditionFactory

HEAD = "---\ntitle: Test bulletin\ndate: 2021-05-28\n---\nWelcome text.\n"
ARTICLE = "---\ntitle: An article\n---\nBody of the article.\n"


def problems(folder: Path) -> list[str]:
    with pytest.raises(EditionError) as info:
        load_edition(folder)
    return [p.format(relative_to=folder) for p in info.value.problems]


def test_example_edition_loads(example_edition: Path) -> None:
    edition = load_edition(example_edition, ZoneInfo("Europe/London"))
    assert edition.slug == "2021-05"
    assert edition.date == date(2021, 5, 28)
    assert edition.number == 3
    assert len(edition.articles) == 10
    assert [a.path.name for a in edition.articles] == sorted(a.path.name for a in edition.articles)
    titled = [s.title for s in edition.sections if s.title]
    assert titled == ["Coming to a place near you"]
    assert all(a.image_alt for a in edition.articles if a.image)
    assert edition.images and all((example_edition / i).is_file() for i in edition.images)


def test_defaults_and_fields(write_edition: EditionFactory) -> None:
    folder = write_edition(
        {
            "edition.md": HEAD,
            "01-first.md": "---\ntitle: First\nsection: News\nlinks:\n"
            "  - {text: Read the report, url: 'https://example.org/r'}\n---\nOne.\n",
            "02-second.md": "---\ntitle: Second\nsection: News\n"
            "image: images/a.png\nimage_alt: A chart\n---\nTwo.\n",
            "03-third.md": ARTICLE,
            "_draft.md": "not front matter at all",
        },
        images=("images/a.png",),
    )
    edition = load_edition(folder)
    assert edition.subject == "Test bulletin"  # subject defaults to the title
    assert edition.preheader is None
    assert [a.anchor for a in edition.articles] == ["first", "second", "third"]
    assert edition.articles[0].links[0].url == "https://example.org/r"
    assert [(s.title, len(s.articles)) for s in edition.sections] == [("News", 2), (None, 1)]
    assert edition.welcome == "Welcome text."
    assert edition.welcome_line == 5


def test_bom_and_crlf_are_fine(write_edition: EditionFactory) -> None:
    folder = write_edition(
        {
            "edition.md": b"\xef\xbb\xbf" + HEAD.replace("\n", "\r\n").encode(),
            "01-a.md": ARTICLE.replace("\n", "\r\n").encode(),
        }
    )
    edition = load_edition(folder)
    assert edition.title == "Test bulletin"
    assert "\r" not in edition.articles[0].body


def test_naive_send_at_is_in_the_configured_zone(write_edition: EditionFactory) -> None:
    folder = write_edition(
        {
            "edition.md": HEAD.replace("---\nW", "send_at: 2021-07-01T09:00\n---\nW"),
            "01-a.md": ARTICLE,
        }
    )
    zone = ZoneInfo("Europe/London")
    edition = load_edition(folder, zone)
    assert edition.send_at == datetime(2021, 7, 1, 9, 0, tzinfo=zone)
    assert edition.send_at.utcoffset() is not None and edition.send_at.utcoffset().seconds == 3600


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"edition.md": "---\ntitle: [unclosed\ndate: 2021-05-28\n---\n", "01-a.md": ARTICLE},
            "edition.md:3: invalid YAML in front matter",
        ),
        (
            {"edition.md": "---\ndate: 2021-05-28\n---\n", "01-a.md": ARTICLE},
            "edition.md:1: 'title' is required",
        ),
        (
            {"edition.md": "---\ntitle: '  '\ndate: 2021-05-28\n---\n", "01-a.md": ARTICLE},
            "edition.md:2: 'title' is required",
        ),
        (
            {"edition.md": "---\ntitle: T\ndate: 2021-13-45\n---\n", "01-a.md": ARTICLE},
            "edition.md:3: 'date' must be an ISO date like 2021-05-28, got '2021-13-45'",
        ),
        (
            {"edition.md": "---\ntitle: T\ndate: May 2021\n---\n", "01-a.md": ARTICLE},
            "edition.md:3: 'date' must be an ISO date",
        ),
        (
            {
                "edition.md": "---\ntitle: T\ndate: 2021-05-28\nnumber: -2\n---\n",
                "01-a.md": ARTICLE,
            },
            "edition.md:4: 'number' must be a whole number from 1",
        ),
        (
            {"edition.md": "---\ntitle: T\ndate: 2021-05-28\ntittle: x\n---\n", "01-a.md": ARTICLE},
            "edition.md:4: unknown field 'tittle'",
        ),
        (
            {
                "edition.md": HEAD,
                "01-a.md": "---\ntitle: A\nimage: images/missing.png\nimage_alt: x\n---\n",
            },
            "01-a.md:3: image 'images/missing.png' does not exist",
        ),
        (
            {
                "edition.md": HEAD,
                "01-a.md": "---\ntitle: A\nimage: ../../outside.png\nimage_alt: x\n---\n",
            },
            "01-a.md:3: image '../../outside.png' points outside the edition folder",
        ),
        (
            {
                "edition.md": HEAD,
                "01-a.md": "---\ntitle: A\nimage: /etc/passwd\nimage_alt: x\n---\n",
            },
            "01-a.md:3: image '/etc/passwd' must be a path inside the edition folder",
        ),
        (
            {"edition.md": HEAD, "01-a.md": "---\ntitle: A\nimage: images/a.png\n---\n"},
            "01-a.md:3: 'image_alt' is required with 'image'",
        ),
        (
            {"edition.md": HEAD, "01-a.md": b"---\ntitle: caf\xe9\n---\nbody\n"},
            "01-a.md:2: not UTF-8 text (byte 0xe9)",
        ),
        (
            {"edition.md": HEAD, "01-a.md": "Just a body, no front matter.\n"},
            "01-a.md:1: no front matter: the file must start with a line '---'",
        ),
        (
            {"edition.md": HEAD, "01-a.md": "---\ntitle: A\nbody without a closing line\n"},
            "01-a.md:1: front matter is not closed",
        ),
        (
            {"edition.md": HEAD, "01-a.md": "---\ntitle: A\nlinks:\n  - {text: Go}\n---\n"},
            "01-a.md:3: links item 1 must have exactly 'text' and 'url'",
        ),
        (
            {"edition.md": HEAD, "01-a.md": "---\n- a list\n---\n"},
            "01-a.md:2: front matter must be 'key: value' lines",
        ),
        ({"edition.md": HEAD}, "no articles: add at least one NN-name.md file"),
        (
            {"edition.md": HEAD, "01-news.md": ARTICLE, "02-news.md": ARTICLE},
            "02-news.md: has the same name as 01-news.md apart from its number",
        ),
    ],
)
def test_malformed_input_names_file_line_and_problem(
    write_edition: EditionFactory, files: dict[str, str | bytes], expected: str
) -> None:
    folder = write_edition(files, images=("images/a.png",))
    found = problems(folder)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once(write_edition: EditionFactory) -> None:
    folder = write_edition(
        {
            "edition.md": "---\ndate: nope\n---\n",
            "01-a.md": "no front matter",
            "02-b.md": "---\ntitle: B\nimage: images/x.png\n---\n",
        }
    )
    found = problems(folder)
    assert len(found) == 5, found  # title, date, no front matter, missing image, missing alt


def test_empty_and_missing_folders(project: Path) -> None:
    empty = project / "editions" / "empty"
    empty.mkdir()
    assert problems(empty) == [".: edition folder is empty: it needs edition.md and article files"]
    (empty / "01-a.md").write_text(ARTICLE)
    assert problems(empty) == ["edition.md: missing: every edition needs an edition.md"]
    with pytest.raises(EditionError, match="does not exist"):
        load_edition(project / "editions" / "nope")


def test_scaffold_creates_a_loadable_edition(project: Path) -> None:
    folder = scaffold_edition(
        project / "editions", "2021-06", 'June: "special" edition', date(2021, 6, 1)
    )
    edition = load_edition(folder)
    assert edition.title == 'June: "special" edition'
    assert edition.date == date(2021, 6, 1)
    assert len(edition.articles) == 1
    with pytest.raises(LinkedError, match="already exists"):
        scaffold_edition(project / "editions", "2021-06", "Again", date(2021, 6, 1))
    with pytest.raises(LinkedError, match="lower-case letters"):
        scaffold_edition(project / "editions", "../escape", "Bad", date(2021, 6, 1))


@pytest.mark.parametrize(
    ("slug", "today", "expected"),
    [
        ("2021-06", date(2026, 11, 27), date(2021, 6, 1)),  # a month named: its first day
        ("2021-06", date(2021, 6, 14), date(2021, 6, 14)),  # ...or today, when in it
        ("2021-06-special", date(2026, 11, 27), date(2021, 6, 1)),
        ("2021-06-25", date(2026, 11, 27), date(2021, 6, 25)),  # a day named: that day
        ("2021-13", date(2026, 11, 27), date(2026, 11, 27)),  # not a month: today
        ("summer", date(2026, 11, 27), date(2026, 11, 27)),
    ],
)
def test_default_date_comes_from_a_dated_slug(slug: str, today: date, expected: date) -> None:
    assert default_date(slug, today) == expected
