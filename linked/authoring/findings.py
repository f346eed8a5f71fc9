"""Which form field a check problem is about, so the editor shows it next to that field.

A problem carries its file and line; the line falls on a front-matter key (that field),
in the body (the body), or nowhere (a ``links`` item from the front matter is linted
without a line: matched by its URL or text). Lines are read from the text that was
checked — the unsaved text in a live preview — not from the file on disk.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from linked.authoring.articles import fenced
from linked.errors import Problem

#: The field for a problem that is about the file as a whole.
WHOLE_FILE = "file"


def _layout(text: str) -> tuple[dict[str, int], list[dict[str, str]], int] | None:
    """Each front-matter key's line, the ``links`` items, and the first line after it."""
    found = fenced(text)
    if found is None:
        return None
    lines, end = found
    try:
        node = yaml.compose("\n".join(lines[1:end]), Loader=yaml.SafeLoader)
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or not isinstance(meta, dict):
        return {}, [], end + 2
    key_lines = {str(key.value): key.start_mark.line + 2 for key, _ in node.value}
    links = meta.get("links")
    items = [i for i in links if isinstance(i, dict)] if isinstance(links, list) else []
    return key_lines, items, end + 2


def field_of(problem: Problem, text: str) -> str:
    """The form field ``problem`` (about a file whose text is ``text``) belongs beside."""
    layout = _layout(text)
    if layout is None:
        return WHOLE_FILE
    key_lines, links, body_line = layout
    if problem.line is None:
        for item in links:
            if any(
                str(item.get(part) or "").strip() in problem.message for part in ("url", "text")
            ):
                return "links"
        return WHOLE_FILE
    if problem.line >= body_line:
        return "body"
    at = [(line, key) for key, line in key_lines.items() if line <= problem.line]
    return max(at)[1] if at else WHOLE_FILE


def by_field(
    problems: list[tuple[str, Problem]], path: Path, text: str
) -> dict[str, list[tuple[str, str]]]:
    """``(severity, problem)`` pairs about ``path`` (checked as ``text``), by field."""
    found: dict[str, list[tuple[str, str]]] = {}
    target = path.resolve()
    for severity, problem in problems:
        if problem.path.resolve() == target:
            found.setdefault(field_of(problem, text), []).append((severity, problem.message))
    return found
