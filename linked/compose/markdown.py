"""CommonMark to email-safe HTML (markdown-it-py).

Raw HTML in articles is escaped rather than passed through: the email's
markup stays ours and valid. Relative links and images are made absolute
under the edition's public URL, and headings in a body are shifted below the
article's own heading so the document outline stays in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

LINK_STYLE = "color:#1d5fa7;text-decoration:underline;"
HEADING_STYLE = "margin:20px 0 8px;font-size:18px;line-height:1.3;color:#1d3557;"


def parser() -> MarkdownIt:
    """The one Markdown dialect Linked reads: CommonMark without raw HTML."""
    return MarkdownIt("commonmark", {"html": False})


def _heading_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    level = min(6, int(tokens[idx].tag[1]) + int(env.get("heading_offset", 0)))
    return f'<h{level} style="{HEADING_STYLE}">'


def _heading_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    level = min(6, int(tokens[idx].tag[1]) + int(env.get("heading_offset", 0)))
    return f"</h{level}>\n"


def absolutise(tokens: Sequence[Token], resolve: Callable[[str], str]) -> None:
    """Pass every ``href``/``src`` through ``resolve`` (which makes relative ones absolute)."""
    for token in tokens:
        for attr in ("href", "src"):
            value = token.attrGet(attr)
            if isinstance(value, str):
                token.attrSet(attr, resolve(value))
        if token.type == "link_open":
            token.attrSet("style", LINK_STYLE)
        if token.children:
            absolutise(token.children, resolve)


class EmailMarkdown:
    """Renders Markdown bodies to HTML for the email and the archive alike."""

    def __init__(self) -> None:
        self.md = parser()
        self.md.add_render_rule("heading_open", _heading_open)
        self.md.add_render_rule("heading_close", _heading_close)

    def render(self, source: str, resolve: Callable[[str], str], heading_offset: int = 2) -> str:
        return self.render_tokens(self.md.parse(source), resolve, heading_offset)

    def render_tokens(
        self, tokens: Sequence[Token], resolve: Callable[[str], str], heading_offset: int = 2
    ) -> str:
        """Render already-parsed tokens (absolutising them in place), so a caller that also
        needs the plain text parses each body once."""
        env: dict[str, Any] = {"heading_offset": heading_offset}
        absolutise(tokens, resolve)
        return str(self.md.renderer.render(tokens, self.md.options, env))
