"""What every command shares: the consoles and the settings for ``--root``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from linked.settings import Settings

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def settings_from(ctx: typer.Context) -> Settings:
    """Settings for the project root given with ``--root`` (default: the working folder)."""
    from linked.settings import load_settings  # pydantic: only once a command runs

    options = ctx.find_root().obj or {}
    root: Path = options.get("root", Path("."))
    overrides = {"allow_local_links": True} if options.get("allow_local_links") else {}
    return load_settings(root, **overrides)


def edition_path(settings: Settings, edition: str) -> Path:
    """Accept a slug (``2021-05``) or a path to an edition folder."""
    candidate = Path(edition)
    if candidate.is_dir() or "/" in edition or edition.startswith("."):
        return candidate if candidate.is_absolute() else (Path.cwd() / candidate)
    return settings.editions_dir / edition
