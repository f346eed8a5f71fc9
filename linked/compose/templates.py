"""The Jinja2 environment for email templates (MJML and plain text)."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from linked.compose.slots import marker
from linked.settings import Settings

#: The templates shipped with Linked (package data), used for any file a project's own
#: ``templates/`` does not have. pip installs packages as folders, so this is a real path.
DEFAULT_TEMPLATES = Path(str(resources.files("linked").joinpath("templates")))


def template_dirs(settings: Settings) -> list[Path]:
    """The project's own ``templates/`` first, then Linked's defaults."""
    dirs = [settings.templates_dir.resolve()]
    if DEFAULT_TEMPLATES.is_dir() and DEFAULT_TEMPLATES not in dirs:
        dirs.append(DEFAULT_TEMPLATES)
    return dirs


def long_date(value: date) -> str:
    """28 May 2021 (British style, no leading zero)."""
    return f"{value.day} {value:%B %Y}"


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no safe temporary folder: compile from source
        return None


def environment(settings: Settings) -> Environment:
    """Build the environment; callers keep it, so templates compile once per process."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in template_dirs(settings)]),
        # MJML and HTML are escaped; plain text is not (there is nothing to escape).
        autoescape=select_autoescape(["html", "mjml.j2", "html.j2", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Compiled templates kept between processes (Jinja2's per-user folder in the temp
        # directory; a changed template is compiled again): every `linked check` and `send`
        # would otherwise compile the email templates from source, ~50 ms.
        bytecode_cache=_bytecode_cache(),
    )
    env.globals["slot"] = marker
    env.filters["long_date"] = long_date
    return env
