"""Split a Markdown file into YAML front matter and body, keeping line numbers for messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from linked.edition.yaml_hints import explain
from linked.errors import Problem

_RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# libyaml (CSafeLoader) parses front matter several times faster.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that leaves timestamps as strings, so bad dates get our own clear message."""

    yaml_implicit_resolvers = _RESOLVERS


class _ExplainingLoader(yaml.SafeLoader):
    """The pure-Python loader, used only to describe an error: its messages and lines are
    the more precise (libyaml reports an unclosed ``[`` at the line after it)."""

    yaml_implicit_resolvers = _RESOLVERS


@dataclass(frozen=True)
class Document:
    """A parsed file: the front matter mapping, the line of each key, and the body."""

    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


class FrontMatterError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


def read_text(path: Path) -> str:
    """Read UTF-8 (a BOM and CRLF line endings are fine); name the line of any bad byte."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FrontMatterError(
            Problem(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line)
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _closing_line(lines: list[str]) -> int | None:
    """The index of the line that closes the front matter, or None when there is none."""
    if not lines or lines[0].strip() != "---":
        return None
    return next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)


def parse(path: Path) -> Document:
    """Parse ``---`` delimited YAML front matter followed by a Markdown body."""
    lines = read_text(path).split("\n")
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(
            Problem(path, "no front matter: the file must start with a line '---'", 1)
        )
    end = _closing_line(lines)
    if end is None:
        raise FrontMatterError(
            Problem(path, "front matter is not closed: add a line '---' after it", 1)
        )
    source = "\n".join(lines[1:end])
    meta, key_lines = _load_yaml(path, source, first_line=2)
    return Document(meta, key_lines, "\n".join(lines[end + 1 :]).strip("\n"), end + 2)


def body_of(path: Path) -> tuple[str, int] | None:
    """The Markdown body and its first line, without reading the front matter's YAML.

    ``linked check`` lints a body even when its front matter is broken. A file with no
    front matter is all body; one whose front matter never closes has none (None).
    """
    try:
        lines = read_text(path).split("\n")
    except (OSError, FrontMatterError):
        return None
    if not lines or lines[0].strip() != "---":
        return "\n".join(lines), 1
    end = _closing_line(lines)
    if end is None:
        return None
    return "\n".join(lines[end + 1 :]).strip("\n"), end + 2


def _load_yaml(path: Path, source: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        return _load_with(_Loader, path, source, first_line)
    except FrontMatterError:
        return _load_with(_ExplainingLoader, path, source, first_line)


def _load_with(
    loader_class: type[yaml.SafeLoader], path: Path, source: str, first_line: int
) -> tuple[dict[str, Any], dict[str, int]]:
    loader = loader_class(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else first_line
        reason = explain(exc.problem or exc.context or "invalid YAML", exc.context or "")
        raise FrontMatterError(
            Problem(path, f"invalid YAML in front matter: {reason}", line)
        ) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(
            Problem(path, f"invalid YAML in front matter: {exc}", first_line)
        ) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(
            Problem(path, "front matter must be 'key: value' lines (a YAML mapping)", first_line)
        )
    key_lines = {str(key.value): first_line + key.start_mark.line for key, _ in node.value}
    return {str(k): v for k, v in data.items()}, key_lines
