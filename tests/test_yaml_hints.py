"""YAML errors in front matter explained in plain words, with the usual fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from linked.edition.frontmatter import FrontMatterError, parse

QUOTES = 'put the whole value in double quotes, like title: "Linked: June 2021"'


@pytest.mark.parametrize(
    ("front", "message"),
    [
        (
            "title: Linked: June",
            "mapping values are not allowed here — a value containing ': ' (a title with a "
            f"colon, say) must be in quotes: {QUOTES}",
        ),
        (
            'title: "Linked" — May',
            "expected <block end>, but found '<scalar>' — there is text after a closing quote: "
            "put the whole value inside the quotes, and write a quote mark inside single "
            "quotes twice (It''s)",
        ),
        (
            'title: "Linked',
            "found unexpected end of stream — a quote is opened but never closed: end the "
            "value with the same quote mark",
        ),
        (
            "title: @durham",
            "found character '@' that cannot start any token — a value that starts with '@', "
            f"'`' or '%' must be in quotes: {QUOTES}",
        ),
        (
            "title: *new*",
            "expected alphabetic or numeric character, but found '*' — a value that starts "
            f"with '*' or '&' must be in quotes: {QUOTES}",
        ),
        (
            "title: *new",
            f"found undefined alias 'new' — a value that starts with '*' or '&' must be in quotes: {QUOTES}",
        ),
        (
            "\ttitle: T",
            "found character '\\t' that cannot start any token — a tab is not allowed here: "
            "indent and separate with spaces only",
        ),
        (
            "title: T\nsubject a subject",
            "could not find expected ':' — every line must be 'key: value'; a value that goes "
            "on to the next line must be indented, or joined to its first line",
        ),
        (
            "title: {Linked",
            "expected ',' or '}', but got '<stream end>' — a value that starts with '{' is read as a "
            f"mapping: {QUOTES}",
        ),
    ],
)
def test_yaml_errors_are_explained(tmp_path: Path, front: str, message: str) -> None:
    path = tmp_path / "edition.md"
    path.write_text(f"---\n{front}\n---\nBody\n")
    with pytest.raises(FrontMatterError) as caught:
        parse(path)
    assert caught.value.problem.message == f"invalid YAML in front matter: {message}"


def test_an_unknown_yaml_error_keeps_the_parsers_words(tmp_path: Path) -> None:
    path = tmp_path / "edition.md"
    path.write_text("---\ntitle: &a T\nother: &a U\n---\n")
    with pytest.raises(FrontMatterError) as caught:
        parse(path)
    assert caught.value.problem.message == "invalid YAML in front matter: second occurrence"
