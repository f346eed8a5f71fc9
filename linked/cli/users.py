"""``linked users add/list/role/disable/enable/reset`` and ``linked audit``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from linked.accounts.roles import Role
from linked.cli.common import console, err_console, settings_from
from linked.cli.lazy import lazy_module
from linked.errors import LinkedError

if TYPE_CHECKING:
    from linked.accounts import admin, audit
else:
    admin = lazy_module("linked.accounts.admin")
    audit = lazy_module("linked.accounts.audit")

users_app = typer.Typer(help="Manage who can sign in to the console.", no_args_is_help=True)


@users_app.command("add")
def add_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The person's address (they sign in with it)."),
    role: Role = typer.Option(..., "--role", help="editor, sender or admin."),
    name: str | None = typer.Option(None, "--name", help="The person's name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    ignore: bool = typer.Option(
        False, "--ignore", help="Do nothing if the address has an account already."
    ),
) -> None:
    """Add an account; without --password-stdin, print a 24-hour link to set a password."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise LinkedError("no password on standard input")
    added = admin.add_user(settings_from(ctx), email, role, name, password, ignore_existing=ignore)
    if added is None:
        console.print(f"{email} has an account already: left as it is", markup=False)
        return
    row, link = added
    console.print(f"added {row.email} as {row.role.value}", markup=False)
    if link:
        console.print("They set their password here (valid 24 hours, once):", markup=False)
        console.print(link, markup=False)


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Show every account."""
    from rich.table import Table

    table = Table("email", "name", "role", "state", "last sign-in")
    for row in admin.list_users(settings_from(ctx)):
        state = "disabled" if row.disabled else ("active" if row.has_password else "invited")
        last = f"{row.last_sign_in_at:%Y-%m-%d %H:%M}" if row.last_sign_in_at else ""
        table.add_row(row.email, row.name or "", row.role.value, state, last)
    console.print(table)


@users_app.command("role")
def role_command(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    role: Role = typer.Argument(..., help="editor, sender or admin."),
) -> None:
    """Change an account's role."""
    row = admin.change_role(settings_from(ctx), email, role)
    console.print(f"{row.email} is now {row.role.value}", markup=False)


@users_app.command("disable")
def disable_command(ctx: typer.Context, email: str = typer.Argument(...)) -> None:
    """Stop an account signing in; its sessions end at once."""
    row = admin.disable_user(settings_from(ctx), email)
    console.print(f"disabled {row.email}", markup=False)


@users_app.command("enable")
def enable_command(ctx: typer.Context, email: str = typer.Argument(...)) -> None:
    """Let a disabled account sign in again."""
    row = admin.enable_user(settings_from(ctx), email)
    console.print(f"enabled {row.email}", markup=False)


@users_app.command("reset")
def reset_command(ctx: typer.Context, email: str = typer.Argument(...)) -> None:
    """Print a new 24-hour link where the person sets a new password."""
    link = admin.reset_link(settings_from(ctx), email)
    console.print(link, markup=False)


def audit_command(
    ctx: typer.Context,
    since: datetime | None = typer.Option(
        None,
        "--since",
        help="Only events from this date or time (UTC).",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    ),
    user: str | None = typer.Option(None, "--user", help="Only events by or about this account."),
    action: str | None = typer.Option(None, "--action", help="Only this kind (e.g. sign_in)."),
    limit: int | None = typer.Option(200, "--limit", min=1, help="At most this many."),
) -> None:
    """Print the audit log, newest first: who did what and when."""
    where = audit.AuditFilter(
        since=since.replace(tzinfo=UTC) if since else None, actor=user, action=action
    )
    events = admin.audit_log(settings_from(ctx), where, limit)
    if not events:
        err_console.print("no events", markup=False)
    for event in events:
        parts = [f"{event.at:%Y-%m-%d %H:%M:%S}", event.actor, event.action]
        parts += [value for value in (event.target, event.detail, event.ip) if value]
        console.print("  ".join(parts), markup=False)


def register(app: typer.Typer) -> None:
    """Add ``linked users`` and ``linked audit`` to the top-level app."""
    app.add_typer(users_app, name="users")
    app.command("audit")(audit_command)
