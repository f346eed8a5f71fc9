"""``linked init``: a new bulletin project anywhere, from the starter files Linked ships.

The starter (package data under ``linked/starter/``) holds one example edition, an example
subscribers CSV and a note on overriding templates; ``linked.toml`` is written from the
:class:`~linked.settings.Settings` model itself (:mod:`linked.settings_reference`), every
setting commented out with its description, variable and default, so the file never drifts
from what Linked reads.
"""

from __future__ import annotations

import shutil
import textwrap
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from linked.errors import LinkedError
from linked.settings import CONFIG_FILE
from linked.settings_reference import entries, toml_value

#: Starter files whose names would be hidden or ignored as package data.
RENAMED = {"gitignore": ".gitignore"}
WIDTH = 92

_HEADER = """\
# Linked settings for this bulletin project. Every setting Linked reads is below, commented
# out at its default: remove the "# " before a line to change it. An environment variable
# (named beside each setting) overrides this file; `linked --root DIR` picks the project.
"""


def settings_toml() -> str:
    """linked.toml with every setting commented: description, variable, default."""
    lines = [_HEADER]
    for entry in entries():
        lines += textwrap.wrap(
            f"{entry.description}. Variable: {entry.variable}.",
            width=WIDTH,
            initial_indent="# ",
            subsequent_indent="# ",
            break_on_hyphens=False,
        )
        default = "" if entry.default is None else entry.default
        lines += [f"# {entry.key} = {toml_value(default)}", ""]
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
