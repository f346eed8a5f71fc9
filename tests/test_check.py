"""``linked check``'s lint: errors block, warnings advise, each names its file and line."""

from __future__ import annotations

from pathlib import Path

from linked.check import _lint_html, check_edition
from linked.settings import Settings
from tests.fixtures.project import EditionFactory

HEAD = "---\ntitle: T\ndate: 2021-05-28\npreheader: P\n---\nWelcome.\n"


def findings(settings: Settings, folder: Path) -> tuple[list[str], list[str]]:
    report = check_edition(settings, folder)
    return (
        [p.format(relative_to=folder) for p in report.errors],
        [p.format(relative_to=folder) for p in report.warnings],
    )


def test_example_edition_is_clean(settings: Settings, example_edition: Path) -> None:
    assert findings(settings, example_edition) == ([], [])


def test_loader_errors_are_check_errors(settings: Settings, write_edition: EditionFactory) -> None:
    folder = write_edition({"edition.md": "---\ndate: 2021-05-28\n---\n", "01-a.md": "x"})
    errors, _ = findings(settings, folder)
    assert "edition.md:1: 'title' is required" in errors
    assert any(e.startswith("01-a.md:1: no front matter") for e in errors)


def test_lint_of_links_images_and_subject(
    settings: Settings, write_edition: EditionFactory
) -> None:
    long_subject = "S" * 79
    folder = write_edition(
        {
            "edition.md": f"---\ntitle: T\ndate: 2021-05-28\nsubject: {long_subject}\n---\nHi.\n",
            "01-a.md": (
                "---\ntitle: A\nlinks:\n  - {text: click here, url: 'https://example.org'}\n"
                "  - {text: Files, url: 'ftp://example.org/f'}\n---\n"
                "First line.\n\n"
                "[the old site](http://example.org) and [here](https://example.org/x).\n\n"
                "![](images/a.png) ![A missing one](images/none.png)\n\n"
                "[Old files](ftp://example.org/old) [Write to us](mailto:us@example.org)\n"
            ),
        },
        images=("images/a.png",),
    )
    errors, warnings = findings(settings, folder)
    assert errors == [
        "01-a.md:11: image 'images/a.png' has no alt text: write ![what it shows](images/a.png)",
        "01-a.md:11: image 'images/none.png' does not exist in the edition folder",
        "01-a.md:13: link 'ftp://example.org/old': only https://, http:// and mailto: links work in email",
        "01-a.md: link 'ftp://example.org/f': only https://, http:// and mailto: links work in email",
    ]
    assert warnings == [
        "edition.md: subject is 79 characters; over 78 is cut off in many inboxes",
        "edition.md: no preheader: inboxes will show the first words of the email instead",
        "01-a.md:9: link 'http://example.org' is not https; prefer https://",
        "01-a.md:9: link text 'here' says nothing on its own; describe where it goes",
        "01-a.md: link text 'click here' says nothing on its own; describe where it goes",
    ]


def test_oversized_email_is_an_error(settings: Settings, write_edition: EditionFactory) -> None:
    paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40
    articles = {f"{i:02d}-a{i}.md": f"---\ntitle: A{i}\n---\n{paragraph}\n" for i in range(1, 60)}
    folder = write_edition({"edition.md": HEAD, **articles})
    errors, _ = findings(settings, folder)
    assert len(errors) == 1 and "Gmail clips anything over 102 KB" in errors[0]


def test_a_front_matter_error_does_not_hide_the_body_problems(
    settings: Settings, write_edition: EditionFactory
) -> None:
    folder = write_edition(
        {
            "edition.md": "---\ntitle: Linked: June\ndate: 2021-06-01\n---\n"
            "Write to [us](mailto:us-at-example.org).\n",
            "01-a.md": "---\ntitle: A\nimage: images/gone.png\n---\n"
            "![Chart](images/none.png) and [notes](notes.pdf).\n",
        }
    )
    errors, warnings = findings(settings, folder)
    assert errors == [
        # The loader's errors first...
        "edition.md:2: invalid YAML in front matter: mapping values are not allowed here — "
        "a value containing ': ' (a title with a colon, say) must be in quotes: "
        'put the whole value in double quotes, like title: "Linked: June 2021"',
        "01-a.md:3: image 'images/gone.png' does not exist",
        "01-a.md:3: 'image_alt' is required with 'image': "
        "describe the picture for people who cannot see it",
        # ...then every body's, read past the broken front matter.
        "edition.md:5: link 'mailto:us-at-example.org' is not a working mailto: link; "
        "write it as mailto:name@example.org",
        "01-a.md:5: image 'images/none.png' does not exist in the edition folder",
        "01-a.md:5: link 'notes.pdf' does not exist in the edition folder",
    ]
    assert warnings == []


def test_text_left_from_the_scaffold_is_an_error(
    settings: Settings, write_edition: EditionFactory
) -> None:
    folder = write_edition(
        {
            "edition.md": HEAD + "\nWelcome to this edition. This text opens the bulletin.\n",
            "01-a.md": "---\ntitle: Your first article\n---\n"
            "Write the article here in Markdown. And then some.\n",
        }
    )
    errors, _ = findings(settings, folder)
    assert errors == [
        "edition.md:8: example text from 'linked new' is still here "
        "('Welcome to this edition. This text opens the bulletin.'): replace it with your own",
        "01-a.md:2: example text from 'linked new' is still here "
        "('Your first article'): replace it with your own",
        "01-a.md:4: example text from 'linked new' is still here "
        "('Write the article here in Markdown.'): replace it with your own",
    ]
    assert not check_edition(settings, folder).ok


def test_every_image_of_the_composed_email_needs_an_alt_attribute() -> None:
    html = (
        '<div><!-- <img src="c.png"> --><img src="a.png" alt="">'
        '<IMG SRC=\'b&amp;c.png\' title="x > y"><img alt src=x><img data-alt="q" src="d.png"/></div>'
    )
    found = [problem.message for _severity, problem in _lint_html(Path("edition.md"), html)]
    assert found == [
        "an image in the email has no alt attribute: b&c.png",
        "an image in the email has no alt attribute: d.png",
    ]
