"""``linked new``, ``linked check``, ``linked build``: the policy officer's edition commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the edition commands to the top-level app."""
