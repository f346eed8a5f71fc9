"""``linked bounces fetch``: process the bounce mailbox once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, settings_from
from linked.cli.lazy import lazy_module
from linked.subscribers.status import BounceKind as K

if TYPE_CHECKING:
    from linked.bounces import classify, fetch
else:
    classify = lazy_module("linked.bounces.classify")
    fetch = lazy_module("linked.bounces.fetch")

bounces_app = typer.Typer(
    help="Bounces and complaints from the return mailbox.", no_args_is_help=True
)


@bounces_app.command("fetch")
def fetch_command(ctx: typer.Context) -> None:
    """Read the bounce mailbox (bounce_imap_url), record bounces and complaints, move them."""
    report = fetch.fetch_mailbox(settings_from(ctx))
    if report.busy:
        console.print("another process is fetching bounces; nothing done")
        return
    kinds, ignored = report.kinds, classify.Unrecorded.ignored
    console.print(
        f"{kinds[K.hard]} hard, {kinds[K.soft]} soft, {kinds[K.complaint]} complaints, "
        f"{kinds[ignored]} auto-replies; {report.recorded} recorded "
        f"({report.not_on_list} not on the list), {report.duplicates} seen before; "
        f"{report.moved} moved; {report.left} not recognised, left in the mailbox"
    )


def register(app: typer.Typer) -> None:
    """Add ``linked bounces`` to the top-level app."""
    app.add_typer(bounces_app, name="bounces")
