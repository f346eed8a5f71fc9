"""``linked subscribers add/import/export/list/count/remove/erase``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, err_console, settings_from
from linked.cli.lazy import lazy_module
from linked.subscribers.status import SubscriberStatus

if TYPE_CHECKING:
    from linked import retention
    from linked.subscribers import admin
else:
    retention = lazy_module("linked.retention")
    admin = lazy_module("linked.subscribers.admin")

subscribers_app = typer.Typer(help="Manage the list of subscribers.", no_args_is_help=True)


@subscribers_app.command("add")
def add_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The address to add."),
    name: str | None = typer.Option(None, "--name", help="The person's name."),
    consent_given_elsewhere: bool = typer.Option(
        False,
        "--consent-given-elsewhere",
        help="They agreed to receive the bulletin elsewhere (e.g. on paper): add as confirmed.",
    ),
    send_confirmation: bool = typer.Option(
        False, "--send-confirmation", help="Email a confirmation link to a pending address."
    ),
) -> None:
    """Add one address: pending (asked to confirm), or confirmed with --consent-given-elsewhere."""
    row = admin.add_subscriber(
        settings_from(ctx),
        email,
        name,
        consent_given_elsewhere=consent_given_elsewhere,
        send_confirmation=send_confirmation,
    )
    console.print(f"added {row.email} as {row.status.value}")


@subscribers_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV with columns email,name,status,consented_at,source."
    ),
    consent_given_elsewhere: bool = typer.Option(
        False,
        "--consent-given-elsewhere",
        help="Rows marked 'confirmed' really did consent: import them as confirmed.",
    ),
    send_confirmations: bool = typer.Option(
        False, "--send-confirmations", help="Email a confirmation link to each pending address."
    ),
) -> None:
    """Import a CSV file; bad rows are listed with their line numbers and skipped."""
    report = admin.import_file(
        settings_from(ctx),
        file,
        consent_given_elsewhere=consent_given_elsewhere,
        send_confirmations=send_confirmations,
    )
    for problem in report.skipped:
        err_console.print(f"{file}:{problem.line}: skipped: {problem.reason}", markup=False)
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"merged {report.merged} duplicate rows, skipped {len(report.skipped)}"
    )
    if report.downgraded:
        console.print(
            f"{report.downgraded} rows marked 'confirmed' were imported as pending "
            "(use --consent-given-elsewhere if they consented)"
        )
    if send_confirmations:
        console.print(f"sent {len(report.confirmations)} confirmation emails")


@subscribers_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write to this file (default: stdout)."
    ),
    status: SubscriberStatus | None = typer.Option(None, "--status", help="Only this status."),
    subscriber: str | None = typer.Option(
        None, "--subscriber", help="Print everything stored about one address, as JSON."
    ),
) -> None:
    """Export the list as spreadsheet-safe CSV, or one person's data as JSON."""
    settings = settings_from(ctx)
    if subscriber is not None:
        data = admin.export_person(settings, subscriber)
        console.out(json.dumps(data, indent=2, ensure_ascii=False), highlight=False)
        return
    if out is None:
        admin.export_subscribers(settings, sys.stdout, status)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = admin.export_subscribers(settings, handle, status)
    err_console.print(f"wrote {count} subscribers to {out}", markup=False)


@subscribers_app.command("list")
def list_command(
    ctx: typer.Context,
    status: SubscriberStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Show at most this many."),
) -> None:
    """Show subscribers in a table."""
    from rich.table import Table

    rows = admin.list_subscribers(settings_from(ctx), status, limit)
    table = Table("email", "name", "status", "since", "confirmed", "source")
    for row in rows:
        table.add_row(
            row.email,
            row.name or "",
            row.status.value,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.confirmed_at:%Y-%m-%d %H:%M}" if row.confirmed_at else "",
            row.source,
        )
    console.print(table)


@subscribers_app.command("count")
def count_command(ctx: typer.Context) -> None:
    """How many subscribers are in each status."""
    counts = admin.count_subscribers(settings_from(ctx))
    for status, number in counts.items():
        console.print(f"{status.value:<13} {number}")
    console.print(f"{'total':<13} {sum(counts.values())}")


@subscribers_app.command("remove")
def remove_command(ctx: typer.Context, email: str = typer.Argument(...)) -> None:
    """Unsubscribe an address on the person's behalf (their record is kept)."""
    row = admin.remove_subscriber(settings_from(ctx), email)
    console.print(f"unsubscribed {row.email}")


@subscribers_app.command("erase")
def erase_command(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a person's data (GDPR); a hash stops the address being re-added by anyone else."""
    if not yes:
        typer.confirm(f"Erase everything stored about {email}?", abort=True)
    admin.erase_subscriber(settings_from(ctx), email)
    console.print(f"erased {email.strip()}")


@subscribers_app.command("purge")
def purge_command(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be deleted."),
) -> None:
    """Delete what is past its retention time (also done daily by linked serve / worker)."""
    report = retention.run_purge(settings_from(ctx), dry_run=dry_run)
    if dry_run:
        console.print(
            f"would delete {report.pending_deleted} unconfirmed sign-ups and clear the "
            f"address from {report.deliveries_cleared} delivery rows",
            markup=False,
        )
    else:
        console.print(str(report), markup=False)


def register(app: typer.Typer) -> None:
    """Add ``linked subscribers`` to the top-level app."""
    app.add_typer(subscribers_app, name="subscribers")
