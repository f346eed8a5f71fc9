"""The ``linked`` command. Each command parses its arguments and calls one library function."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from linked.cli import archive, db, editions, preview, schedule, serve, subscribers
from linked.cli import send as sending
from linked.cli.common import err_console
from linked.errors import LinkedError


class _LinkedGroup(TyperGroup):
    """Turns a :class:`LinkedError` anywhere below into a message and exit status 1."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except LinkedError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_LinkedGroup,
    help="Linked: write, check, send and publish an e-bulletin.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    root: Path = typer.Option(
        Path("."), "--root", help="Project root (holds editions/, templates/, linked.toml)."
    ),
) -> None:
    ctx.obj = {"root": root}


editions.register(app)
subscribers.register(app)
db.register(app)
archive.register(app)
preview.register(app)
sending.register(app)
schedule.register(app)
serve.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
