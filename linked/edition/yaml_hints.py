"""Plain-words explanations of YAML errors, each with the usual fix.

PyYAML says *what* it could not parse ("mapping values are not allowed here");
a policy officer needs to know *why* and what to type instead. Each hint
matches the parser's own wording, so an unknown error keeps the parser's text.
"""

from __future__ import annotations

QUOTE_IT = 'put the whole value in double quotes, like title: "Linked: June 2021"'

#: (words in the parser's message, the explanation shown after it)
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "a value containing ': ' (a title with a colon, say) must be in quotes: " + QUOTE_IT,
    ),
    (
        "sequence entries are not allowed",
        "a value containing ' - ' after a quoted part must be in quotes as a whole: " + QUOTE_IT,
    ),
    (
        "expected ',' or ']'",
        "a value that starts with '[' is read as a list: " + QUOTE_IT,
    ),
    (
        "expected ',' or '}'",
        "a value that starts with '{' is read as a mapping: " + QUOTE_IT,
    ),
    (
        "found character '\\t'",
        "a tab is not allowed here: indent and separate with spaces only",
    ),
    (
        "that cannot start any token",
        "a value that starts with '@', '`' or '%' must be in quotes: " + QUOTE_IT,
    ),
    (
        "found undefined alias",
        "a value that starts with '*' or '&' must be in quotes: " + QUOTE_IT,
    ),
    (
        "while scanning an a",  # an alias (*) or an anchor (&)
        "a value that starts with '*' or '&' must be in quotes: " + QUOTE_IT,
    ),
    (
        "found unknown escape character",
        "inside double quotes a backslash starts an escape: write \\\\ for a backslash, "
        "or use single quotes",
    ),
    (
        "while scanning a quoted scalar",
        "a quote is opened but never closed: end the value with the same quote mark",
    ),
    (
        "expected <block end>, but found '<scalar>'",
        "there is text after a closing quote: put the whole value inside the quotes, and "
        "write a quote mark inside single quotes twice (It''s)",
    ),
    (
        "could not find expected ':'",
        "every line must be 'key: value'; a value that goes on to the next line "
        "must be indented, or joined to its first line",
    ),
    (
        "expected <block end>, but found '<block mapping start>'",
        "the lines of a list item must line up with each other: indent them by the same "
        "number of spaces",
    ),
)


def explain(reason: str, context: str = "") -> str:
    """``reason`` followed by what it usually means and how to fix it (if known).

    ``context`` is the parser's "while scanning …" phrase, used only to pick the hint.
    """
    for words, hint in _HINTS:
        if words in reason or words in context:
            return f"{reason} — {hint}"
    return reason
