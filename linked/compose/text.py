"""CommonMark to plain text, written from the Markdown source (not scraped from HTML).

Links become numbered references (``text [3]``) listed after each block of
text, so every URL appears in full in the plain-text part.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from linked.compose.columns import columns
from linked.compose.markdown import parser

WIDTH = 72


@dataclass
class References:
    """Numbered link references shared across an email, so numbers never repeat."""

    urls: list[str] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    def add(self, url: str) -> int:
        self.urls.append(url)
        number = len(self.urls)
        self.pending.append(number)
        return number

    def flush(self) -> str:
        """The references added since the last flush, one per line."""
        lines = [f"[{n}] {self.urls[n - 1]}" for n in self.pending]
        self.pending.clear()
        return "\n".join(lines)


class TextRenderer:
    """Renders a Markdown body to wrapped plain text."""

    def __init__(self) -> None:
        self.md = parser()

    def render(self, source: str, refs: References, resolve: Callable[[str], str]) -> str:
        return self.render_tokens(self.md.parse(source), refs, resolve)

    def render_tokens(
        self, tokens: Sequence[Token], refs: References, resolve: Callable[[str], str]
    ) -> str:
        """Render already-parsed tokens (see :meth:`EmailMarkdown.render_tokens`)."""
        tree = SyntaxTreeNode(tokens)
        blocks = [self._block(node, refs, resolve) for node in tree.children]
        text = "\n\n".join(b for b in blocks if b)
        notes = refs.flush()
        return f"{text}\n\n{notes}" if notes else text

    def _block(self, node: SyntaxTreeNode, refs: References, resolve: Callable[[str], str]) -> str:
        kind = node.type
        if kind == "paragraph":
            return _wrap(self._inline(node, refs, resolve))
        if kind == "heading":
            title = self._inline(node, refs, resolve)
            return f"{title}\n{'-' * min(len(title), WIDTH)}"
        if kind in ("bullet_list", "ordered_list"):
            items = []
            start = int(str(node.attrs.get("start", 1)))
            for i, item in enumerate(node.children):
                mark = f"{start + i}." if kind == "ordered_list" else "*"
                body = "\n\n".join(
                    b for b in (self._block(c, refs, resolve) for c in item.children) if b
                )
                items.append(textwrap.indent(body, " " * (len(mark) + 3))[len(mark) + 3 :])
                items[-1] = f"  {mark} {items[-1]}"
            return "\n".join(items)
        if kind == "blockquote":
            inner = "\n\n".join(self._block(c, refs, resolve) for c in node.children)
            return textwrap.indent(inner, "> ", lambda _line: True)
        if kind in ("code_block", "fence"):
            return textwrap.indent(node.content.rstrip("\n"), "    ")
        if kind == "hr":
            return "-" * 20
        if kind == "table":
            return self._table(node, refs, resolve)
        return self._inline(node, refs, resolve)

    def _table(self, node: SyntaxTreeNode, refs: References, resolve: Callable[[str], str]) -> str:
        """Cells read row by row, so link numbers run in reading order."""
        rows: list[list[str]] = []
        aligns: list[str] = []
        for part in node.children:  # thead, tbody
            for tr in part.children:
                if not aligns:
                    aligns = [_align(cell) for cell in tr.children]
                rows.append([self._inline(cell, refs, resolve).strip() for cell in tr.children])
        if not rows:
            return ""
        return columns(rows[0], rows[1:], aligns, WIDTH)

    def _inline(self, node: SyntaxTreeNode, refs: References, resolve: Callable[[str], str]) -> str:
        parts: list[str] = []
        for child in node.children:
            kind = child.type
            if kind == "inline":
                parts.append(self._inline(child, refs, resolve))
            elif kind == "text":
                parts.append(child.content)
            elif kind == "softbreak":
                parts.append(" ")
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "code_inline":
                parts.append(f"`{child.content}`")
            elif kind == "link":
                url = resolve(str(child.attrs.get("href", "")))
                label = self._inline(child, refs, resolve)
                shown = url.removeprefix("mailto:")
                bare = url.removeprefix("https://").removeprefix("http://")
                if label.strip() in (url, shown):
                    parts.append(shown)
                elif label.strip() == bare:  # a bare www.… link: show it whole
                    parts.append(url)
                else:
                    parts.append(f"{label} [{refs.add(url)}]")
            elif kind == "image":
                alt = self._inline(child, refs, resolve) or str(child.attrs.get("alt", ""))
                parts.append(f"[image: {alt}]" if alt else "")
            else:  # em, strong and anything else: keep the words
                parts.append(self._inline(child, refs, resolve))
        return "".join(parts)


def _align(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    return style.removeprefix("text-align:") if style.startswith("text-align:") else "left"


def _wrap(text: str) -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False)
        for line in text.split("\n")
    )
