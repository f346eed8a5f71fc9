"""``linked init DIR``: start a new bulletin project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from linked.cli.common import console
from linked.cli.lazy import lazy_module

if TYPE_CHECKING:
    from linked import project
else:
    project = lazy_module("linked.project")


def register(app: typer.Typer) -> None:
    """Add ``linked init`` to the top-level app."""

    @app.command()
    def init(
        folder: Path = typer.Argument(..., help="Folder for the new project (made if missing)"),
    ) -> None:
        """Start a new project: linked.toml, an example edition, subscribers/, templates/."""
        written = project.init_project(folder)
        console.print(f"Created a Linked project in {folder} ({len(written)} files).")
        console.print(
            f"Next: cd {folder}; linked check 2021-06; "
            "linked subscribers import subscribers/example.csv --consent-given-elsewhere; "
            "linked send 2021-06 --yes",
            markup=False,
        )
