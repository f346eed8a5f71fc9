"""``linked db upgrade``: apply the database migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, settings_from
from linked.cli.lazy import lazy_module

if TYPE_CHECKING:
    from linked.db import migrate
else:
    migrate = lazy_module("linked.db.migrate")

db_app = typer.Typer(help="The subscriber and delivery database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply every pending migration (the web app also does this on start)."""
    revision = migrate.upgrade(settings_from(ctx))
    console.print(f"database is at revision {revision}")


def register(app: typer.Typer) -> None:
    """Add ``linked db`` to the top-level app."""
    app.add_typer(db_app, name="db")
