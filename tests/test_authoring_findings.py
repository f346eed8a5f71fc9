"""A check problem is shown next to the field it is about."""

from __future__ import annotations

from pathlib import Path

from linked.authoring.findings import WHOLE_FILE, by_field, field_of
from linked.errors import Problem

ARTICLE = """---
title: Training
image: images/x.png
links:
  - text: click here
    url: https://example.org/book
---

Some text.

More [here](https://example.org).
"""


def test_each_problem_finds_its_field(tmp_path: Path) -> None:
    path = tmp_path / "01-training.md"
    assert field_of(Problem(path, "'title' must be text", 2), ARTICLE) == "title"
    assert field_of(Problem(path, "image does not exist", 3), ARTICLE) == "image"
    assert field_of(Problem(path, "links item 1 …", 4), ARTICLE) == "links"
    assert field_of(Problem(path, "link text 'here' says nothing", 11), ARTICLE) == "body"
    vague = Problem(path, "link text 'click here' says nothing on its own", None)
    assert field_of(vague, ARTICLE) == "links"
    assert field_of(Problem(path, "something else", None), ARTICLE) == WHOLE_FILE
    other = tmp_path / "02-other.md"
    found = by_field([("warning", vague), ("error", Problem(other, "x", 1))], path, ARTICLE)
    assert found == {"links": [("warning", vague.message)]}


def test_a_broken_file_is_about_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "01-x.md"
    path.write_text("---\ntitle: [oops\n---\n")
    assert field_of(Problem(path, "invalid YAML", 2), "---\ntitle: [oops\n---\n") == WHOLE_FILE
