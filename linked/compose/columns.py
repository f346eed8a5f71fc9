"""A table as plain text: aligned columns, or one block per row when too wide.

Used by the plain-text part, where a GFM pipe table must still read as a table
in any mail program's fixed or proportional font.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

GAP = "  "


def _cell(text: str, width: int, align: str) -> str:
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


def columns(
    header: Sequence[str], rows: Sequence[Sequence[str]], aligns: Sequence[str], width: int
) -> str:
    """Aligned columns under a dashed rule; ``Header: value`` blocks when wider than ``width``.

    ``aligns`` holds ``"left"``, ``"center"`` or ``"right"`` per column (from ``|:-:|``).
    """
    count = len(header)
    body = [list(row) + [""] * (count - len(row)) for row in rows]
    widths = [max(len(line[i]) for line in [list(header), *body]) for i in range(count)]
    if sum(widths) + len(GAP) * (count - 1) > width:
        return "\n\n".join(
            "\n".join(
                textwrap.fill(
                    f"{name}: {value}", width, subsequent_indent="  ", break_long_words=False
                )
                for name, value in zip(header, row, strict=True)
                if value
            )
            for row in body
        )

    def line(cells: Sequence[str]) -> str:
        return GAP.join(
            _cell(c, w, a) for c, w, a in zip(cells, widths, aligns, strict=True)
        ).rstrip()

    rule = GAP.join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in body)])
