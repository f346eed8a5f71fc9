"""CommonMark to email-safe HTML (markdown-it-py).

Raw HTML in articles is escaped rather than passed through: the email's
markup stays ours and valid. Relative links and images are made absolute
under the edition's public URL, images shrink to the column's width, and
headings in a body are shifted below the article's own heading so the
document outline stays in order. GFM pipe tables
get inline styles (mail clients drop stylesheets) and wrap rather than widen a
phone's screen; bare URLs become links (linkify-it-py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

#: A link's text (often a long URL) may break anywhere (``break-word`` = ``normal`` plus
#: ``overflow-wrap:anywhere``), so a table cell holding one still fits a phone.
LINK_STYLE = "color:#1d5fa7;text-decoration:underline;word-break:break-word;"
#: A body image (``![alt](images/x.jpg)``) is as wide as it was uploaded (up to the upload's
#: maximum): it shrinks to the column instead of making a phone's screen scroll sideways.
IMAGE_STYLE = "max-width:100%;height:auto;border:0;"
HEADING_STYLE = "margin:20px 0 8px;font-size:18px;line-height:1.3;color:#1d3557;"
TABLE_STYLE = "border-collapse:collapse;width:100%;margin:12px 0;font-size:15px;line-height:1.4;"
#: ``word-break:normal`` undoes MJML's inherited ``break-word``, which split "Places" in two.
CELL_STYLE = "border:1px solid #d9e2ec;padding:6px 8px;vertical-align:top;word-break:normal;"
HEAD_STYLE = CELL_STYLE + "background-color:#eef2f6;font-weight:bold;"


def parser() -> MarkdownIt:
    """The one Markdown dialect Linked reads: CommonMark without raw HTML, plus GFM pipe
    tables and bare URLs made links (``www.…`` ones as https://)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(["table", "linkify"])
    md.core.ruler.after("linkify", "https_bare_links", _https_bare_links)
    return md


def _https_bare_links(state: StateCore) -> None:
    """A bare ``www.example.org`` links to https://, not linkify's http:// (a page that
    still has no https gets a typed ``http://`` link, which check then warns about)."""
    for block in state.tokens:
        children = block.children or []
        for token, shown in itertools.pairwise(children):
            href = token.attrGet("href")
            if (
                token.type == "link_open"
                and token.markup == "linkify"
                and isinstance(href, str)
                and href.startswith("http://")
                and not shown.content.lower().startswith("http://")
            ):
                token.attrSet("href", "https://" + href.removeprefix("http://"))


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


def _table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f'<table cellpadding="0" cellspacing="0" style="{TABLE_STYLE}">\n'


def _cell_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    style = HEAD_STYLE if token.tag == "th" else CELL_STYLE
    align = str(token.attrGet("style") or "text-align:left")  # "text-align:right" from |--:|
    scope = ' scope="col"' if token.tag == "th" else ""
    return f'<{token.tag}{scope} style="{style}{align};">'


def absolutise(tokens: Sequence[Token], resolve: Callable[[str], str]) -> None:
    """Pass every ``href``/``src`` through ``resolve`` (which makes relative ones absolute);
    links and images get their inline styles (mail clients drop stylesheets)."""
    for token in tokens:
        for attr in ("href", "src"):
            value = token.attrGet(attr)
            if isinstance(value, str):
                token.attrSet(attr, resolve(value))
        if token.type == "link_open":
            token.attrSet("style", LINK_STYLE)
        elif token.type == "image":
            token.attrSet("style", IMAGE_STYLE)
        if token.children:
            absolutise(token.children, resolve)


class EmailMarkdown:
    """Renders Markdown bodies to HTML for the email and the archive alike."""

    def __init__(self) -> None:
        self.md = parser()
        self.md.add_render_rule("heading_open", _heading_open)
        self.md.add_render_rule("heading_close", _heading_close)
        self.md.add_render_rule("table_open", _table_open)
        self.md.add_render_rule("th_open", _cell_open)
        self.md.add_render_rule("td_open", _cell_open)

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
