"""``linked new``, ``linked check``, ``linked build``: the policy officer's edition commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, edition_path, err_console, settings_from
from linked.cli.lazy import lazy_module
from linked.errors import EditionError, LinkedError, Problem

if TYPE_CHECKING:
    from linked import build as building
    from linked import check as checking
    from linked.authoring import articles
else:
    articles = lazy_module("linked.authoring.articles")
    building = lazy_module("linked.build")
    checking = lazy_module("linked.check")


def print_problems(report: checking.CheckReport, root: Path) -> None:
    """Errors and warnings, one line each, with file (and line) names."""
    for problem in report.errors:
        err_console.print(
            f"[bold red]error[/]   {_where(problem, root)}: {problem.message}", markup=True
        )
    for problem in report.warnings:
        err_console.print(
            f"[yellow]warning[/] {_where(problem, root)}: {problem.message}", markup=True
        )


def _iso_date(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise LinkedError(f"--date {raw!r} is not an ISO date such as 2021-06-25") from None


def _where(problem: Problem, root: Path) -> str:
    return problem.location(relative_to=root.resolve()).replace("[", r"\[")


def register(app: typer.Typer) -> None:
    """Add the edition commands to the top-level app."""

    @app.command()
    def new(
        ctx: typer.Context,
        slug: str = typer.Argument(..., help="Folder name under editions/, e.g. 2021-06"),
        title: str = typer.Option(..., "--title", "-t", help="The edition's title"),
        when: str | None = typer.Option(
            None,
            "--date",
            help="The edition's date (ISO, e.g. 2021-06-25); default: from a dated name "
            "like 2021-06, else today",
        ),
    ) -> None:
        """Scaffold editions/SLUG/ with edition.md and a first article."""
        settings = settings_from(ctx)
        folder = articles.new_edition(
            settings.editions_dir, slug, title, date.today(), _iso_date(when)
        )
        console.print(f"Created {folder}. Edit the files, then run: linked check {slug}")

    @app.command()
    def check(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
    ) -> None:
        """Validate and lint an edition. Exit 1 on errors, 0 with warnings only."""
        settings = settings_from(ctx)
        report = checking.check_edition(settings, edition_path(settings, edition))
        print_problems(report, Path.cwd())
        if not report.ok:
            err_console.print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
            raise typer.Exit(1)
        console.print(
            f"[green]ok[/] {report.edition.slug if report.edition else edition}: "
            f"{len(report.warnings)} warning(s)",
            markup=True,
        )

    @app.command()
    def build(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        out: Path = typer.Option(..., "--out", "-o", help="Folder to write the email files to"),
    ) -> None:
        """Write email.html, email.txt, email.eml (a sample message) and the images."""
        settings = settings_from(ctx)
        try:
            result = building.build_edition(settings, edition_path(settings, edition), out)
        except EditionError as exc:
            print_problems(checking.CheckReport(errors=exc.problems), Path.cwd())
            raise typer.Exit(1) from None
        print_problems(result.report, Path.cwd())
        console.print(f"Wrote {len(result.files)} files to {result.out}")
