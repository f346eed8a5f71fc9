"""``linked serve`` (web app, scheduler and delivery in one process) and ``linked worker``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from linked.cli.common import settings_from
from linked.cli.lazy import lazy_module

if TYPE_CHECKING:
    from linked import server
else:
    server = lazy_module("linked.server")


def register(app: typer.Typer) -> None:
    """Add ``linked serve`` and ``linked worker`` to the top-level app."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
        port: int = typer.Option(8000, "--port", help="Port to listen on"),
        proxy_headers: bool = typer.Option(
            False,
            "--proxy-headers",
            help="Behind a reverse proxy on this host: believe its X-Forwarded-For "
            "(proxies elsewhere: the trusted_proxies setting)",
        ),
    ) -> None:
        """Serve the web app, run scheduled sends and deliver; SIGTERM stops gracefully."""
        server.run_server(settings_from(ctx), host, port, proxy_headers=proxy_headers)

    @app.command()
    def worker(ctx: typer.Context) -> None:
        """Deliver running sends (alongside other workers on any machine); SIGTERM stops."""
        server.run_worker(settings_from(ctx))
