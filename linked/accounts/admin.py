"""What ``linked users`` and ``linked audit`` call: each opens the database, works in one
transaction as ``cli:<login>``, and returns plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from linked.accounts import audit, service
from linked.accounts.audit import Actor, AuditFilter
from linked.accounts.links import LinkKind, password_url
from linked.accounts.models import Account, AuditEvent, Role
from linked.db.session import open_session
from linked.settings import Settings


@dataclass(frozen=True)
class AccountRow:
    email: str
    name: str | None
    role: Role
    disabled: bool
    has_password: bool
    last_sign_in_at: datetime | None


def _row(account: Account) -> AccountRow:
    return AccountRow(
        account.email,
        account.name,
        account.role,
        account.disabled_at is not None,
        account.password_hash is not None,
        account.last_sign_in_at,
    )


def add_user(
    settings: Settings,
    email: str,
    role: Role,
    name: str | None,
    password: str | None,
    *,
    ignore_existing: bool = False,
) -> tuple[AccountRow, str | None] | None:
    """Add an account; without a password, also the 24-hour link where they set one.

    With ``ignore_existing``, an address that has an account already is left as it is
    (None): a set-up script can run again.
    """
    with open_session(settings) as session:
        if ignore_existing and service.find(session, email) is not None:
            return None
        account = service.add(session, Actor.cli(), email, role, name, password)
        session.commit()
        link = None if password else password_url(settings, account, LinkKind.invite)
        return _row(account), link


def list_users(settings: Settings) -> list[AccountRow]:
    with open_session(settings) as session:
        return [_row(account) for account in service.accounts(session)]


def change_role(settings: Settings, email: str, role: Role) -> AccountRow:
    with open_session(settings) as session:
        account = service.set_role(session, Actor.cli(), email, role)
        session.commit()
        return _row(account)


def disable_user(settings: Settings, email: str) -> AccountRow:
    with open_session(settings) as session:
        account = service.disable(session, Actor.cli(), email)
        session.commit()
        return _row(account)


def enable_user(settings: Settings, email: str) -> AccountRow:
    with open_session(settings) as session:
        account = service.enable(session, Actor.cli(), email)
        session.commit()
        return _row(account)


def reset_link(settings: Settings, email: str) -> str:
    """A new 24-hour link where the person sets a new password (the old one works until then)."""
    with open_session(settings) as session:
        account = service.get(session, email)
        audit.record(session, Actor.cli(), "account.reset_link", f"account:{account.email_key}")
        session.commit()
        return password_url(settings, account, LinkKind.invite)


def audit_log(settings: Settings, where: AuditFilter, limit: int | None) -> list[AuditEvent]:
    """The audit log, newest first."""
    with open_session(settings) as session:
        return list(audit.events(session, where, limit=limit))
