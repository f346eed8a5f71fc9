"""The preview of an edition with unsaved changes: the console's live preview.

The edition's files are copied to a temporary folder of the same name (images
hard-linked where the file system allows), the unsaved texts written over them, and
:func:`preview_edition` run there — the same check and renderer as ``linked preview``
and ``linked send``. Problems name the real files again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from linked.compose import Composer
from linked.errors import Problem
from linked.preview.page import Preview, preview_edition
from linked.settings import Settings


def preview_draft(
    settings: Settings,
    folder: Path,
    unsaved: Mapping[str, str],
    composer: Composer | None = None,
) -> Preview:
    """Preview ``folder`` as if each ``{file name: text}`` in ``unsaved`` were saved."""
    folder = folder.resolve()
    with tempfile.TemporaryDirectory(prefix="linked-draft-") as scratch:
        copy = Path(scratch) / folder.name
        copy.mkdir()
        for path in folder.iterdir():
            if path.is_file() and path.suffix == ".md":
                shutil.copyfile(path, copy / path.name)
            elif path.is_dir() and not path.name.startswith("."):
                shutil.copytree(path, copy / path.name, copy_function=_link_or_copy)
        for name, text in unsaved.items():
            (copy / Path(name).name).write_text(text, encoding="utf-8")
        result = preview_edition(settings, copy, composer)
    result.folder = folder
    result.errors = [_back(p, copy, folder) for p in result.errors]
    result.warnings = [_back(p, copy, folder) for p in result.warnings]
    return result


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _back(problem: Problem, copy: Path, folder: Path) -> Problem:
    try:
        relative = problem.path.relative_to(copy)
    except ValueError:
        return problem
    return Problem(folder / relative, problem.message, problem.line)
