"""The settings described for people, from the :class:`~linked.settings.Settings` model itself.

Each field's description is the one text about it: ``linked init`` writes it as comments in
``linked.toml`` (:func:`linked.project.settings_toml`) and :func:`markdown` renders it as the
reference in ``docs/settings.md``, so neither can drift from what Linked reads.
``python -m linked.settings_reference`` rewrites ``docs/settings.md`` after a change;
``tests/test_settings_reference.py`` fails until it is run.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from linked.settings import Settings

#: Settings that are not written to linked.toml: the root is where the file is.
NOT_IN_FILE = frozenset({"root"})
#: Where the reference lives in a checkout, relative to its top folder.
REFERENCE = Path("docs") / "settings.md"
COMMAND = "python -m linked.settings_reference"

_INTRO = f"""\
# Settings

Linked reads its settings from `linked.toml` at the project root (`linked --root DIR`
picks the project; `linked init` writes the file with every setting below commented out
at its default). An environment variable, named beside each setting, overrides the file.
Values in the file are TOML: text in quotes, `true`/`false`, numbers as they are.
How to connect a mail relay, sign with DKIM and read bounces is in the
[operator's guide](operators-guide.md).

This page is generated from the descriptions in `linked/settings.py`: change them there
and run `{COMMAND}` to rewrite it (a test fails until you do).
"""


@dataclass(frozen=True)
class Entry:
    """One setting as an operator sees it."""

    key: str  # the name in linked.toml
    variable: str
    default: Any  # None when unset
    description: str


def toml_key(name: str, field: FieldInfo) -> str:
    """The name a setting has in linked.toml (``from`` for ``from_address``)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and not choice.startswith("LINKED_"):
                return choice
    return name


def toml_value(value: Any) -> str:
    """``value`` as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is JSON's


def entries() -> list[Entry]:
    """Every setting linked.toml can hold, in the model's order."""
    found = []
    for name, field in Settings.model_fields.items():
        if name in NOT_IN_FILE:
            continue
        key = toml_key(name, field)
        found.append(
            Entry(
                key=key,
                variable=f"LINKED_{key.upper()}",
                default=field.get_default(call_default_factory=True),
                description=field.description or name.replace("_", " ").capitalize(),
            )
        )
    return found


# Markdown would read these as markup; an underscore only at a word's edge.
_MARKUP = re.compile(r"[\\`*<>\[\]|]|(?<!\w)_|_(?!\w)")


def _text(value: str) -> str:
    return _MARKUP.sub(lambda m: "\\" + m[0], value)


def _code(value: str) -> str:
    return "`" + value.replace("|", "\\|") + "`"


def markdown() -> str:
    """docs/settings.md: the intro and one table row per setting."""
    lines = [
        _INTRO,
        "| setting | variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for entry in entries():
        default = "unset" if entry.default is None else _code(toml_value(entry.default))
        cells = [_code(entry.key), _code(entry.variable), default, _text(entry.description)]
        lines.append("| " + " | ".join(cells) + ". |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] = ()) -> int:
    """Write the reference to the path given, else docs/settings.md under the current folder."""
    target = Path(argv[0]) if argv else REFERENCE
    if not target.parent.is_dir():
        print(f"{target.parent} is not a folder: run this from the top of a checkout of Linked")
        return 1
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
