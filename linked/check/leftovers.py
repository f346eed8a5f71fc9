"""Text left unchanged from the ``linked new`` scaffold: an error, so it is never sent."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from linked.check.links import Finding
from linked.edition.frontmatter import FrontMatterError, read_text
from linked.edition.scaffold import PLACEHOLDERS
from linked.errors import Problem


def lint_leftovers(paths: Iterable[Path]) -> Iterator[Finding]:
    """One error per example sentence of ``linked new`` still in a file, at its line."""
    for path in paths:
        try:
            lines = read_text(path).split("\n")
        except (OSError, FrontMatterError):
            continue  # the loader reports unreadable files
        for number, line in enumerate(lines, start=1):
            for phrase in PLACEHOLDERS:
                if phrase in line:
                    yield (
                        "error",
                        Problem(
                            path,
                            f"example text from 'linked new' is still here ({phrase!r}): "
                            "replace it with your own",
                            number,
                        ),
                    )
