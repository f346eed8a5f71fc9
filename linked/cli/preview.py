"""``linked preview EDITION``: the live-reloading preview for the policy officer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from linked.cli.common import edition_path, settings_from
from linked.cli.lazy import lazy_module

if TYPE_CHECKING:
    from linked.preview import server
else:
    server = lazy_module("linked.preview.server")


def register(app: typer.Typer) -> None:
    """Add ``preview`` to the top-level app."""

    @app.command()
    def preview(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
        port: int = typer.Option(8025, "--port", "-p", help="Port to listen on"),
    ) -> None:
        """Serve a live preview: desktop and mobile email, plain text and check results."""
        settings = settings_from(ctx)
        server.serve_preview(settings, edition_path(settings, edition), host, port)
