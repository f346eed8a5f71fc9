"""``linked schedule``: add, list and cancel scheduled sends (see :mod:`linked.scheduler.service`).

``linked schedule EDITION --at T`` works as a shorthand for ``linked schedule add EDITION --at T``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from linked.cli.common import console, settings_from
from linked.cli.lazy import lazy_module
from linked.errors import LinkedError

if TYPE_CHECKING:
    from linked.authoring import approval as approvals
    from linked.scheduler import service
else:
    # Both load SQLModel and the database layer (~0.7 s): only the commands that use them.
    approvals = lazy_module("linked.authoring.approval")
    service = lazy_module("linked.scheduler.service")

AT_HELP = "When: ISO date-time, e.g. 2021-05-28T09:00; without a zone = LINKED_TIMEZONE"


def _parse(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        raise LinkedError(f"--at {at!r} is not an ISO date-time such as 2021-05-28T09:00") from None


def _add(ctx: typer.Context, edition: str, at: str | None) -> None:
    settings = settings_from(ctx)
    slug = edition.rstrip("/").rsplit("/", 1)[-1]
    when = service.schedule_edition(settings, slug, _parse(at))
    console.print(f"Scheduled {slug} for {when:%A %d %B %Y %H:%M %Z}")


class _ScheduleGroup(TyperGroup):
    """Reads ``schedule EDITION …`` (no subcommand named) as ``schedule add EDITION …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["add", *args]
        return list(super().parse_args(ctx, args))


def register(app: typer.Typer) -> None:
    """Add ``linked schedule`` and its subcommands to the top-level app."""
    schedule = typer.Typer(
        cls=_ScheduleGroup,
        help="Schedule sends: schedule EDITION --at T, list, cancel EDITION.",
        invoke_without_command=True,
    )

    @schedule.callback()
    def _schedule(ctx: typer.Context) -> None:
        """Schedule an edition's send; `linked schedule EDITION --at T` or a subcommand."""
        if ctx.invoked_subcommand is None:
            console.print(ctx.get_help())

    @schedule.command("add")
    def add(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug"),
        at: str | None = typer.Option(None, "--at", help=AT_HELP + "; default send_at"),
    ) -> None:
        """Schedule the send of an edition (again: replaces the earlier time)."""
        _add(ctx, edition, at)

    @schedule.command("list")
    def list_(ctx: typer.Context) -> None:
        """Show scheduled sends, and sends that were missed, blocked or done."""
        from rich.table import Table

        entries = service.list_schedules(settings_from(ctx))
        if not entries:
            console.print("Nothing scheduled.")
            return
        table = Table("edition", "when", "state", "detail")
        for entry in entries:
            when = f"{entry.when:%Y-%m-%d %H:%M %Z}" if entry.when else "-"
            table.add_row(entry.edition, when, entry.state, entry.detail)
        console.print(table)

    @schedule.command("cancel")
    def cancel(ctx: typer.Context, edition: str = typer.Argument(..., help="Edition slug")) -> None:
        """Cancel the scheduled send of an edition."""
        slug = edition.rstrip("/").rsplit("/", 1)[-1]
        service.cancel_schedule(settings_from(ctx), slug)
        console.print(f"Cancelled the scheduled send of {slug}")

    app.add_typer(schedule, name="schedule")

    @app.command()
    def approve(
        ctx: typer.Context,
        edition: str = typer.Argument(..., help="Edition slug"),
        as_: str = typer.Option(..., "--as", help="The approving sender's account address"),
    ) -> None:
        """Approve an edition's files as they are now (four eyes: not its last editor)."""
        slug = edition.rstrip("/").rsplit("/", 1)[-1]
        approval = approvals.approve_as(settings_from(ctx), slug, as_)
        console.print(f"Approved {slug} as {approval.approver}", markup=False)
