"""What every command shares: the consoles and the settings for ``--root``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from linked.settings import Settings


class _DeferredConsole:
    """A Rich console made on first use: ``linked --help`` never needs Rich (~40 ms)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = cast("Console", _DeferredConsole(highlight=False, soft_wrap=True))
err_console = cast("Console", _DeferredConsole(stderr=True, highlight=False, soft_wrap=True))


def real_console(console: Console) -> Console:
    """The Rich console itself, for Rich objects that take one (a progress bar)."""
    return console.real if isinstance(console, _DeferredConsole) else console


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
