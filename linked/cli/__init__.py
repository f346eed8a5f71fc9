"""The ``linked`` command. Each command parses its arguments and calls one library function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from linked.cli import (
    archive,
    bounces,
    db,
    editions,
    preview,
    project,
    schedule,
    serve,
    subscribers,
    users,
)
from linked.cli import send as sending
from linked.cli.common import err_console
from linked.cli.report import log_line
from linked.errors import LinkedError


class _LinkedGroup(TyperGroup):
    """Turns a :class:`LinkedError`, or a database that cannot be reached, into a message
    and exit status 1 instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except LinkedError as exc:
            message = str(exc)
        except Exception as exc:
            # SQLAlchemy is imported only by commands that use the database.
            sa_exc = sys.modules.get("sqlalchemy.exc")
            if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
                raise
            # The driver's first line says what failed (refused, unknown host, bad password).
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            message = f"cannot use the database (LINKED_DATABASE_URL): {reason}"
        if err_console.is_terminal:
            from rich.markup import escape

            err_console.print(
                f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True
            )
        else:  # cron, systemd, a script: one plain log line
            log_line("ERROR", message)
        raise typer.Exit(1)


app = typer.Typer(
    cls=_LinkedGroup,
    help="Linked: write, check, send and publish an e-bulletin.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # Plain help: Rich's help renderer costs more than the rest of `linked --help` together.
    rich_markup_mode=None,
)


@app.callback()
def _root(
    ctx: typer.Context,
    root: Path = typer.Option(
        Path("."), "--root", help="Project root (holds editions/, templates/, linked.toml)."
    ),
    allow_local_links: bool = typer.Option(
        False,
        "--allow-local-links",
        help="Send over SMTP even while base_url or From points at this computer "
        "(for tests against a local mail server).",
    ),
) -> None:
    ctx.obj = {"root": root, "allow_local_links": allow_local_links}


project.register(app)
editions.register(app)
bounces.register(app)
subscribers.register(app)
db.register(app)
archive.register(app)
preview.register(app)
sending.register(app)
schedule.register(app)
serve.register(app)
users.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
