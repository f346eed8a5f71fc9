"""``linked send``, ``status``, ``retry``, ``pause``, ``resume``: follow and steer a send.

Each command calls one function of :mod:`linked.delivery.service`; this module only
parses arguments and shows results (a Rich progress bar with rate and ETA).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from linked.cli.common import console, edition_path, err_console, real_console, settings_from
from linked.cli.lazy import lazy_module
from linked.cli.report import Mode, log_line, log_progress, result_json, setup_logging

if TYPE_CHECKING:
    from linked.delivery import service
    from linked.delivery.controls import SendResult
    from linked.delivery.progress import Progress as SendProgress
    from linked.delivery.report import StatusReport
else:
    service = lazy_module("linked.delivery.service")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[SendProgress], None]]:
    """A Rich progress bar fed by the engine's progress callback.

    The bar appears on the first report, so a confirmation question asked before
    sending is not drawn over.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:.0f} msg/s"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=real_console(console),
    )
    task = bar.add_task(label, total=None, rate=0.0, note="")

    last = [0.0]

    def update(state: SendProgress) -> None:
        # The engine reports after every commit; ten redraws a second are plenty.
        now = time.monotonic()
        if now - last[0] < 0.1 and state.done < state.total:
            return
        last[0] = now
        if not bar.live.is_started:
            bar.start()
        note = state.waiting.replace("[", r"\[")
        if state.failed:
            note = f"{state.failed} failed {note}".strip()
        bar.update(task, total=state.total, completed=state.done, rate=state.rate, note=note)

    try:
        yield update
    finally:
        bar.stop()


QUIET = typer.Option(False, "--quiet", "-q", help="No progress; only problems and the final counts")
AS_JSON = typer.Option(False, "--json", help="Print the result as JSON on stdout; no progress")


@contextmanager
def reporting(label: str, mode: Mode) -> Iterator[Callable[[SendProgress], None]]:
    """A progress bar on a terminal; plain log lines on stderr otherwise."""
    setup_logging()
    if mode.bar:
        with progress_bar(label) as update:
            yield update
    else:
        with log_progress(label, mode) as update:
            yield update


def _summary(result: SendResult, mode: Mode = Mode()) -> None:
    # Here, not at the top: `linked --help` must not load the database stack (cli.lazy).
    from linked.delivery.models import DeliveryState, SendStatus

    counts = ", ".join(f"{result.counts[s]} {s}" for s in DeliveryState if result.counts[s])
    if mode.as_json:
        result_json(
            {
                "edition": result.edition,
                "status": result.status,
                "added": result.added,
                "counts": {s: result.counts[s] for s in DeliveryState},
            }
        )
        return
    if not mode.bar:
        hints: dict[str, str] = {
            SendStatus.paused: f". Continue with: linked resume {result.edition}",
            SendStatus.running: f". Follow with: linked status {result.edition} --follow",
        }
        follow = hints.get(result.status, "")
        if result.status in (SendStatus.done, SendStatus.paused, SendStatus.running):
            shown = "queued" if result.status == SendStatus.running else result.status
            log_line("INFO", f"{shown} {result.edition}: {counts or 'nothing to send'}{follow}")
        else:
            log_line("INFO", "Nothing sent.")
        return
    if result.status == SendStatus.done:
        console.print(f"[green]done[/] {result.edition}: {counts}", markup=True)
    elif result.status == SendStatus.paused:
        console.print(
            f"[yellow]paused[/] {result.edition}: {counts}. "
            f"Continue with: linked resume {result.edition}",
            markup=True,
        )
    elif result.status == SendStatus.running:
        console.print(
            f"[green]queued[/] {result.edition}: {counts}. Workers deliver it; "
            f"follow with: linked status {result.edition} --follow",
            markup=True,
        )
    else:
        console.print("Nothing sent.")


def _print_holders(report: StatusReport) -> None:
    """Rows in ``sending``: under a live process ("sending now"), or waiting for their lease."""
    from rich.table import Table

    if report.sending_now:
        table = Table("worker", "rows in flight", "lease until", title="sending now")
        for holder in report.sending_now:
            until = holder.lease_until
            table.add_row(holder.owner, str(holder.rows), f"{until:%H:%M:%S} UTC" if until else "")
        console.print(table)
    if report.waiting_for_lease:
        table = Table("worker (gone)", "rows", "free again", title="waiting for their lease")
        now = datetime.now(UTC)
        for holder in report.waiting_for_lease:
            until = holder.lease_until
            when = "now" if until is None or until <= now else f"at {until:%H:%M:%S} UTC"
            table.add_row(holder.owner, str(holder.rows), when)
        console.print(table)
        console.print(
            "The process that held these rows has stopped. A running worker sends them once "
            f"their lease ends; `linked send {report.edition} --yes` sends them at once."
        )


def register(app: typer.Typer) -> None:
    """Add the sending commands to the top-level app."""

    @app.command()
    def send(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        test: list[str] = typer.Option(
            [], "--test", "-t", help="Send a proof to this address only (repeatable)"
        ),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending"),
        detach: bool = typer.Option(
            False, "--detach", help="Plan the send and leave it to `linked worker` processes"
        ),
        quiet: bool = QUIET,
        as_json: bool = AS_JSON,
    ) -> None:
        """Send an edition to every confirmed subscriber, or a proof with --test ADDR."""
        settings = settings_from(ctx)
        folder = edition_path(settings, edition)
        if test:
            sent = service.send_proof(settings, folder, test)
            console.print(f"Proof sent to {', '.join(sent)}")
            return

        def ask(recipients: int) -> bool:
            return typer.confirm(f"Send {folder.name} to {recipients} subscriber(s)?")

        mode = Mode(quiet, as_json)
        with reporting(f"Sending {folder.name}", mode) as update:
            result = service.start_send(
                settings, folder, yes=yes, confirm=ask, progress=update, detach=detach
            )
        _summary(result, mode)

    @app.command()
    def status(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        follow: bool = typer.Option(
            False, "--follow", "-f", help="Show a progress bar until the send is done or paused"
        ),
    ) -> None:
        """Show a send's rows per state, its rate and its errors grouped by reply."""
        from rich.table import Table

        from linked.delivery.models import DeliveryState

        settings = settings_from(ctx)
        folder = edition_path(settings, edition)
        if follow:
            with progress_bar(f"Sending {folder.name}") as update:
                report = service.follow(settings, folder, update)
        else:
            report = service.send_status(settings, folder)
        console.print(f"[bold]{report.edition}[/] {report.subject!r}: {report.status}", markup=True)
        table = Table("state", "rows")
        for s in DeliveryState:
            table.add_row(s, str(report.counts[s]))
        table.add_row("total", str(report.total))
        console.print(table)
        if report.rate:
            console.print(f"rate: {report.rate:.1f} messages/s")
        console.print(
            f"recipients since bounced: {report.lost['bounced']}, "
            f"complained: {report.lost['complained']}"
        )
        if report.pacing:
            console.print(f"pace: {report.pacing}", markup=False, highlight=False)
        _print_holders(report)
        if report.errors:
            errors = Table("state", "reply", "rows", title="errors by reply")
            for state, reply, count in report.errors:
                errors.add_row(state, reply, str(count))
            console.print(errors)

    @app.command()
    def retry(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        quiet: bool = QUIET,
        as_json: bool = AS_JSON,
    ) -> None:
        """Re-queue deferred rows and temporary failures, then send them."""
        settings = settings_from(ctx)
        folder = edition_path(settings, edition)
        mode = Mode(quiet, as_json)
        with reporting(f"Retrying {folder.name}", mode) as update:
            result = service.retry(settings, folder, progress=update)
        if not as_json:
            err_console.print(f"{result.added} row(s) re-queued")
        _summary(result, mode)

    @app.command()
    def pause(
        ctx: typer.Context, edition: str = typer.Argument(..., help="Edition slug or folder")
    ) -> None:
        """Pause a running send; its workers stop between messages."""
        settings = settings_from(ctx)
        service.pause(settings, edition_path(settings, edition))
        console.print(f"Paused. Continue with: linked resume {edition}")

    @app.command()
    def resume(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug or folder"),
        quiet: bool = QUIET,
        as_json: bool = AS_JSON,
    ) -> None:
        """Resume a paused (or stopped) send and carry it on to the end."""
        settings = settings_from(ctx)
        folder = edition_path(settings, edition)
        mode = Mode(quiet, as_json)
        with reporting(f"Sending {folder.name}", mode) as update:
            result = service.resume(settings, folder, progress=update)
        _summary(result, mode)
