"""``linked init``: a new bulletin project anywhere, from the starter files Linked ships.

The starter (package data under ``linked/starter/``) holds one example edition, an example
subscribers CSV and a note on overriding templates; ``linked.toml`` is written from the
:class:`~linked.settings.Settings` model itself, every setting commented out with its
description, default and variable, so the file never drifts from what Linked reads.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from linked.errors import LinkedError
from linked.settings import CONFIG_FILE, Settings

#: Settings that are not written to linked.toml: the root is where the file is.
NOT_IN_FILE = frozenset({"root"})
#: Starter files whose names would be hidden or ignored as package data.
RENAMED = {"gitignore": ".gitignore"}
WIDTH = 92

_HEADER = """\
# Linked settings for this bulletin project. Every setting Linked reads is below, commented
# out at its default: remove the "# " before a line to change it. An environment variable
# (named beside each setting) overrides this file; `linked --root DIR` picks the project.
"""


def toml_key(name: str, field: FieldInfo) -> str:
    """The name a setting has in linked.toml (``from`` for ``from_address``)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and not choice.startswith("LINKED_"):
                return choice
    return name


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is JSON's


def settings_toml() -> str:
    """linked.toml with every setting commented: description, default, variable."""
    lines = [_HEADER]
    for name, field in Settings.model_fields.items():
        if name in NOT_IN_FILE:
            continue
        key = toml_key(name, field)
        about = field.description or name.replace("_", " ").capitalize()
        default = field.get_default(call_default_factory=True)
        variable = f"LINKED_{key.upper()}"
        unset = " Unset by default." if default is None else ""
        lines += textwrap.wrap(
            f"{about}.{unset} Variable: {variable}.",
            width=WIDTH,
            initial_indent="# ",
            subsequent_indent="# ",
        )
        lines += [f"# {key} = {_toml_value('' if default is None else default)}", ""]
    return "\n".join(lines)


def _starter() -> Traversable:
    return resources.files("linked").joinpath("starter")


def _files(folder: Traversable, prefix: Path = Path()) -> list[tuple[Path, Traversable]]:
    found: list[tuple[Path, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name == "__pycache__":
            continue
        target = prefix / RENAMED.get(item.name, item.name)
        found += _files(item, target) if item.is_dir() else [(target, item)]
    return found


def init_project(folder: Path) -> list[Path]:
    """Write a new project into ``folder`` (made if missing); refuse to overwrite anything."""
    files = _files(_starter())
    targets = [Path(CONFIG_FILE), *(path for path, _ in files)]
    if folder.exists() and not folder.is_dir():
        raise LinkedError(f"{folder} is a file, not a folder")
    taken = [str(path) for path in targets if (folder / path).exists()]
    if (folder / CONFIG_FILE).exists():
        raise LinkedError(
            f"{folder} already holds a Linked project ({CONFIG_FILE}); nothing was written"
        )
    if taken:
        raise LinkedError(
            f"{folder} already has {', '.join(taken)}; nothing was written "
            "(choose an empty or new folder)"
        )
    written = [folder / CONFIG_FILE]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(settings_toml(), encoding="utf-8")
    for path, source in files:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        written.append(target)
    return written
