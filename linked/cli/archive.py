"""``linked archive build``: the static public archive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, err_console, settings_from
from linked.cli.lazy import lazy_module

if TYPE_CHECKING:
    from linked.reports import publish
else:
    publish = lazy_module("linked.reports.publish")


def register(app: typer.Typer) -> None:
    """Add the ``archive`` command group to the top-level app."""
    archive_app = typer.Typer(
        help="The public archive of published editions.", no_args_is_help=True
    )

    @archive_app.callback()
    def _archive() -> None:
        """The public archive: web pages, Atom feed and search for every published edition."""

    @archive_app.command("build")
    def build(
        ctx: typer.Context,
        out: Path = typer.Option(..., "--out", "-o", help="Folder to write the static site to"),
    ) -> None:
        """Write the static archive (index, edition pages, feed, search, 404) to --out."""
        result = publish.build_public_archive(settings_from(ctx), out)
        cat = result.catalogue
        for skipped in cat.skipped:
            err_console.print(
                f"[yellow]skipped[/] {skipped.folder.name}: it has errors", markup=True
            )
            for problem in skipped.problems:
                err_console.print(f"  {problem.format()}", markup=False)
        for edition in cat.unpublished:
            console.print(f"not yet published: {edition.slug} (dated {edition.date})")
        console.print(
            f"Wrote {len(cat.editions)} edition(s), {len(result.files)} files to {result.out}"
        )

    app.add_typer(archive_app, name="archive")
