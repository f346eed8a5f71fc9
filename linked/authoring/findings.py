"""Which form field a check problem is about, so the editor shows it next to that field.

A problem carries its file and line; the line falls on a front-matter key (that field),
in the body (the body), or nowhere (a ``links`` URL from the front matter is linted
without a line: matched by its URL).
"""

from __future__ import annotations

from pathlib import Path

from linked.edition.frontmatter import FrontMatterError, parse
from linked.errors import Problem

#: The field for a problem that is about the file as a whole.
WHOLE_FILE = "file"


def field_of(problem: Problem, path: Path) -> str:
    """The form field ``problem`` (about the file at ``path``) should be shown beside."""
    try:
        doc = parse(path)
    except (FrontMatterError, OSError):
        return WHOLE_FILE
    if problem.line is None:
        links = doc.meta.get("links")
        for item in links if isinstance(links, list) else []:
            if isinstance(item, dict) and any(
                str(item.get(part) or "").strip() in problem.message for part in ("url", "text")
            ):
                return "links"
        return WHOLE_FILE
    if problem.line >= doc.body_line:
        return "body"
    at = [(line, key) for key, line in doc.key_lines.items() if line <= problem.line]
    return max(at)[1] if at else WHOLE_FILE


def by_field(problems: list[tuple[str, Problem]], path: Path) -> dict[str, list[tuple[str, str]]]:
    """``(severity, problem)`` pairs about ``path``, as {field: [(severity, message)]}."""
    found: dict[str, list[tuple[str, str]]] = {}
    target = path.resolve()
    for severity, problem in problems:
        if problem.path.resolve() == target:
            found.setdefault(field_of(problem, path), []).append((severity, problem.message))
    return found
